//! Width-aware layout for the Rust constructs whose shape depends on the
//! length of spec names: rustfmt keeps a chain, a call, a struct literal or
//! a signature on one line only below certain widths (rustfmt defaults,
//! measured: chain 60 incl. `;`, call arguments 60 incl. parentheses,
//! struct-literal body 18, line 100). These helpers make the same choice,
//! so generated code is already `cargo fmt` clean and never needs a
//! formatter on the user's machine. The test suite runs `cargo fmt --check`
//! over generated crates, including one with very long names.
//!
//! Each function returns text whose first line is not indented (the
//! template already placed it) and whose other lines are.

use minijinja::Environment;

pub const MAX_WIDTH: usize = 100;
const CHAIN_WIDTH: usize = 60;
const CALL_WIDTH: usize = 60;
const STRUCT_LIT_WIDTH: usize = 18;
/// rustfmt's `short_array_element_width_threshold`.
const SHORT_ITEM_WIDTH: usize = 10;
const TAB: usize = 4;

pub fn register(env: &mut Environment<'static>) {
    env.add_function(
        "rs_chain",
        |indent: usize, prefix: String, parts: Vec<String>, suffix: String| {
            chain(indent, &prefix, &parts, &suffix)
        },
    );
    env.add_function(
        "rs_call",
        |indent: usize, head: String, args: Vec<String>, tail: String| {
            call(indent, &head, &args, &tail)
        },
    );
    env.add_function(
        "rs_struct",
        |indent: usize, head: String, fields: Vec<String>, tail: String| {
            struct_lit(indent, &head, &fields, &tail)
        },
    );
    env.add_function(
        "rs_fn",
        |indent: usize, head: String, params: Vec<String>, tail: String| {
            signature(indent, &head, &params, &tail)
        },
    );
    env.add_function(
        "rs_macro",
        |indent: usize, head: String, args: Vec<String>, tail: String| {
            macro_call(indent, &head, &args, &tail)
        },
    );
    env.add_function("rs_let", |indent: usize, lhs: String, rhs: String| {
        assign(indent, &lhs, &rhs)
    });
    env.add_function("rs_if", |indent: usize, condition: String| {
        // `if cond {`; the brace on its own line when that overflows; and a
        // comparison broken before its operator when even the condition does.
        if indent + 3 + width(&condition) + 2 <= MAX_WIDTH {
            format!("if {condition} {{")
        } else if indent + 3 + width(&condition) <= MAX_WIDTH {
            format!("if {condition}\n{}{{", pad(indent))
        } else if let Some((left, right)) = condition.split_once(" != ") {
            format!(
                "if {left}\n{}!= {right}\n{}{{",
                pad(indent + TAB),
                pad(indent)
            )
        } else {
            format!("if {condition}\n{}{{", pad(indent))
        }
    });
    env.add_function("rs_decl", |indent: usize, name: String, ty: String| {
        declaration(indent, &name, &ty)
    });
    env.add_function("rs_arm", |indent: usize, pattern: String, body: String| {
        arm(indent, &pattern, &body)
    });
    env.add_function(
        "rs_field",
        |indent: usize, name: String, expr: String, tail: String| {
            field_entry(indent, &field(&name, &expr), &tail)
        },
    );
    env.add_function(
        "rs_if_let",
        |indent: usize, pattern: String, expr: String| if_let(indent, &pattern, &expr),
    );
    env.add_function("rs_assign", |indent: usize, lhs: String, rhs: String| {
        assign_expr(indent, &lhs, &rhs)
    });
    env.add_function(
        "rs_array",
        |indent: usize, head: String, items: Vec<String>, tail: String| {
            // `let x = vec![a, b];` that overflows only because of its
            // left-hand side moves the literal to the next line, whole.
            let joined = items.join(", ");
            if let Some(lhs) = head.strip_suffix(" = vec!")
                && width(&joined) <= CALL_WIDTH
                && indent + width(&head) + width(&joined) + 2 + width(&tail) > MAX_WIDTH
                && indent + TAB + 6 + width(&joined) + width(&tail) <= MAX_WIDTH
            {
                return format!("{lhs} =\n{}vec![{joined}]{tail}", pad(indent + TAB));
            }
            // An array literal breaks like a call's arguments.
            let laid_out = call(indent, &head, &items, &tail);
            let open = head.len();
            let close = laid_out.len() - tail.len() - 1;
            format!(
                "{}[{}]{}",
                &laid_out[..open],
                &laid_out[open + 1..close],
                &laid_out[close + 1..]
            )
        },
    );
    env.add_function("rs_use", |path: String, items: Vec<String>| {
        use_list(&path, &items)
    });
    // `assigns | map("attr_field")`: recipe assignments as struct-literal fields.
    env.add_filter(
        "attr_field",
        |assign: minijinja::Value| -> Result<String, minijinja::Error> {
            let get = |key: &str| -> Result<String, minijinja::Error> {
                Ok(assign
                    .get_attr(key)?
                    .as_str()
                    .unwrap_or_default()
                    .to_string())
            };
            Ok(struct_field(&get("target")?, &get("expr")?))
        },
    );
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

/// A default body's assignment to `target` as a struct-literal field (a
/// view's field, `view.total`, is written `total`).
pub fn struct_field(target: &str, expr: &str) -> String {
    field(target.strip_prefix("view.").unwrap_or(target), expr)
}

/// `name: expr`, or the shorthand `name` when they are the same (clippy's
/// `redundant_field_names`).
pub fn field(name: &str, expr: &str) -> String {
    if name == expr {
        name.to_string()
    } else {
        format!("{name}: {expr}")
    }
}

/// A method chain: `prefix` + `root.a.b()?` + `suffix`. One line while the
/// chain is at most 60 wide (a trailing `?` counts one more) and the line
/// fits; otherwise one element per line. Without a prefix (a tail
/// expression) a root of at most 4 characters keeps its first element.
pub fn chain(indent: usize, prefix: &str, parts: &[String], suffix: &str) -> String {
    // A root that is itself laid out on several lines (a call with its
    // arguments one per line) ends at the statement's indent; the chain
    // continues there.
    if parts.first().is_some_and(|root| root.contains('\n')) {
        let mut out = format!("{prefix}{}", parts[0]);
        for part in &parts[1..] {
            out.push('\n');
            out.push_str(&pad(indent));
            out.push_str(part);
        }
        out.push_str(suffix);
        return out;
    }
    let one = parts.concat();
    let question = usize::from(one.ends_with('?'));
    if let Some(lhs) = prefix.strip_suffix(" = ")
        && let Some(down) = assigned_below(indent, prefix, parts, suffix)
    {
        return format!("{lhs} =\n{}{down}", pad(indent + TAB));
    }
    // A root with a single element (`call(..).await?`) is not a chain to
    // rustfmt: it stays whole unless the line overflows.
    let fits_line = indent + width(prefix) + width(&one) + width(suffix) <= MAX_WIDTH;
    if parts.len() <= 2 && (fits_line || parts.len() == 1) {
        return format!("{prefix}{one}{suffix}");
    }
    let short = parts.len() > 2 && width(&one) + question <= CHAIN_WIDTH;
    if short && indent + width(prefix) + width(&one) + width(suffix) <= MAX_WIDTH {
        return format!("{prefix}{one}{suffix}");
    }
    let join = prefix.is_empty() && parts.len() > 1 && width(&parts[0]) <= TAB;
    let split = if join { 2 } else { 1 };
    let mut out = format!("{prefix}{}", parts[..split.min(parts.len())].concat());
    for (i, part) in parts.iter().enumerate().skip(split) {
        out.push('\n');
        out.push_str(&pad(indent + TAB));
        let end = if i + 1 == parts.len() { suffix } else { "" };
        // As for the whole chain, rustfmt counts a trailing `?` twice.
        let question = usize::from(part.ends_with('?'));
        if indent + TAB + width(part) + question + width(end) > MAX_WIDTH {
            out.push_str(&closure_block(indent + TAB, part));
        } else {
            out.push_str(part);
        }
    }
    out.push_str(suffix);
    out
}

/// The chain on the line below its assignment (`lhs =`), laid out there,
/// when rustfmt would put it there: the chain does not stay on one line
/// beside `lhs = `, and either it stays whole below or its first element
/// does not even fit beside `lhs = ` (it would have to open a bracket).
fn assigned_below(indent: usize, prefix: &str, parts: &[String], suffix: &str) -> Option<String> {
    let one = parts.concat();
    let stays_whole = |at: usize| {
        let question = usize::from(one.ends_with('?'));
        let short = parts.len() <= 2 || width(&one) + question <= CHAIN_WIDTH;
        // Beside an assignment a trailing `?` costs two more columns
        // (measured: `x = a.b.parse()?;` stays at 98 columns, not at 99).
        short && at + width(&one) + 2 * question + width(suffix) <= MAX_WIDTH
    };
    if stays_whole(indent + width(prefix)) || parts.first()?.contains('\n') {
        return None;
    }
    let root_end = if parts.len() == 1 { width(suffix) } else { 0 };
    let root_overflows = indent + width(prefix) + width(&parts[0]) + root_end > MAX_WIDTH;
    (stays_whole(indent + TAB) || root_overflows).then(|| chain(indent + TAB, "", parts, suffix))
}

/// A chain element `.name(|| body)` too long for its line, as rustfmt
/// writes it: the closure's body in a block on a line of its own, its call
/// arguments one per line if even that overflows. Other elements as they are.
fn closure_block(indent: usize, part: &str) -> String {
    let Some((name, rest)) = part.split_once("(|| ") else {
        return part.to_string();
    };
    let Some(close) = rest.rfind(')') else {
        return part.to_string();
    };
    let (body, after) = (&rest[..close], &rest[close + 1..]);
    let inner = indent + TAB;
    let body = match body.split_once('(') {
        Some((head, args)) if inner + width(body) > MAX_WIDTH && args.ends_with(')') => {
            let args = split_arguments(&args[..args.len() - 1]);
            call(inner, head, &args, "")
        }
        _ => body.to_string(),
    };
    format!(
        "{name}(|| {{\n{}{body}\n{}}}){after}",
        pad(inner),
        pad(indent)
    )
}

/// Call arguments split at the commas outside brackets and string literals.
fn split_arguments(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    let mut current = String::new();
    for c in args.chars() {
        if quoted {
            current.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

/// `head(args)tail`, or one argument per line.
pub fn call(indent: usize, head: &str, args: &[String], tail: &str) -> String {
    laid_out_call(indent, head, args, tail, true)
}

fn laid_out_call(indent: usize, head: &str, args: &[String], tail: &str, pack: bool) -> String {
    let joined = args.join(", ");
    let fits_at = |at: usize, head: &str| {
        width(&joined) <= CALL_WIDTH
            && at + width(head) + width(&joined) + 2 + width(tail) <= MAX_WIDTH
    };
    if fits_at(indent, head) {
        return format!("{head}({joined}){tail}");
    }
    // An assigned call that fits whole on the next line goes there rather
    // than opening its arguments (rustfmt prefers a right-hand side on one
    // line).
    if let Some((lhs, callee)) = head.rsplit_once(" = ")
        && fits_at(indent + TAB, callee)
    {
        return format!("{lhs} =\n{}{callee}({joined}){tail}", pad(indent + TAB));
    }
    let mut out = format!("{head}(");
    if pack
        && args
            .iter()
            .all(|a| is_simple(a) && width(a) <= SHORT_ITEM_WIDTH)
    {
        // rustfmt packs short simple arguments (`&mut view, envelope`) as
        // many to a line as fit, each line ending in a comma.
        let mut line = String::new();
        for arg in args {
            if !line.is_empty() && indent + TAB + width(&line) + 1 + width(arg) + 1 > MAX_WIDTH {
                out.push('\n');
                out.push_str(&pad(indent + TAB));
                out.push_str(&line);
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(arg);
            line.push(',');
        }
        out.push('\n');
        out.push_str(&pad(indent + TAB));
        out.push_str(&line);
    } else {
        for arg in args {
            out.push('\n');
            out.push_str(&pad(indent + TAB));
            out.push_str(arg);
            out.push(',');
        }
    }
    out.push('\n');
    out.push_str(&pad(indent));
    out.push(')');
    out.push_str(tail);
    out
}

/// rustfmt's "simple" expression: a literal, or a one-segment path with
/// fields, maybe behind `&`, `&mut`, `*`, `!` or `-`, maybe with `?`.
fn is_simple(arg: &str) -> bool {
    let mut rest = arg.trim();
    loop {
        let stripped = rest
            .strip_prefix("&mut ")
            .or_else(|| rest.strip_prefix('&'))
            .or_else(|| rest.strip_prefix('*'))
            .or_else(|| rest.strip_prefix('!'))
            .or_else(|| rest.strip_prefix('-'));
        match stripped {
            Some(inner) => rest = inner,
            None => break,
        }
    }
    let rest = rest.strip_suffix('?').unwrap_or(rest);
    if rest.starts_with('"') {
        return rest.len() >= 2 && rest.ends_with('"');
    }
    !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && !rest.starts_with('.')
        && !rest.ends_with('.')
}

/// A function-like macro call (`assert_eq!(a, b)`): like a call, but the
/// vertical layout has no trailing comma.
pub fn macro_call(indent: usize, head: &str, args: &[String], tail: &str) -> String {
    let laid_out = laid_out_call(indent, head, args, tail, false);
    if laid_out.contains('\n') {
        laid_out.replacen(
            &format!(",\n{})", pad(indent)),
            &format!("\n{})", pad(indent)),
            1,
        )
    } else {
        laid_out
    }
}

/// `head { a: x, b: y }tail`, or one field per line. A `..base` field goes
/// last and takes no trailing comma.
pub fn struct_lit(indent: usize, head: &str, fields: &[String], tail: &str) -> String {
    if fields.is_empty() {
        return format!("{head} {{}}{tail}");
    }
    let body = fields.join(", ");
    if width(&body) <= STRUCT_LIT_WIDTH
        && indent + width(head) + width(&body) + 4 + width(tail) <= MAX_WIDTH
    {
        return format!("{head} {{ {body} }}{tail}");
    }
    let mut out = format!("{head} {{");
    for f in fields {
        out.push('\n');
        out.push_str(&pad(indent + TAB));
        if f.starts_with("..") {
            out.push_str(f);
            continue;
        }
        out.push_str(&field_entry(indent + TAB, f, ","));
    }
    out.push('\n');
    out.push_str(&pad(indent));
    out.push('}');
    out.push_str(tail);
    out
}

/// A struct-literal entry `name: expr` (or the shorthand `name`) and its
/// `tail`: a chain too long for the line (long names in snake case) stays
/// beside the name and breaks, as rustfmt does.
fn field_entry(indent: usize, entry: &str, tail: &str) -> String {
    if indent + width(entry) + width(tail) > MAX_WIDTH
        && let Some((name, expr)) = entry.split_once(": ")
    {
        if let Some(parts) = path_chain(expr) {
            return chain(indent, &format!("{name}: "), &parts, tail);
        }
        // `Some(entity.x)`: the argument on a line of its own.
        if let Some((head, arg)) = expr.strip_suffix(')').and_then(|e| e.split_once('('))
            && path_chain(arg).is_some()
            && head
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        {
            return call(indent, &format!("{name}: {head}"), &[arg.to_string()], tail);
        }
    }
    format!("{entry}{tail}")
}

/// `lhs = rhs;` for any right-hand side: a chain (`event.x.clone()`) as
/// `chain` lays out an assignment's, anything else moved down when that
/// makes it fit (`assign`).
pub fn assign_expr(indent: usize, lhs: &str, rhs: &str) -> String {
    match path_chain(rhs) {
        Some(parts) => chain(indent, &format!("{lhs} = "), &parts, ";"),
        None => assign(indent, lhs, rhs),
    }
}

/// `if let pattern = expr {`: a chain too long for the line breaks, and
/// the block's brace then goes on a line of its own, as rustfmt does.
pub fn if_let(indent: usize, pattern: &str, expr: &str) -> String {
    let prefix = format!("if let {pattern} = ");
    let Some(parts) = path_chain(expr) else {
        return format!("{prefix}{expr} {{");
    };
    let one_line = chain(indent, &prefix, &parts, " {");
    if one_line.contains('\n') {
        format!("{}\n{}{{", chain(indent, &prefix, &parts, ""), pad(indent))
    } else {
        one_line
    }
}

/// `root.field.method()?` split into chain parts (`root`, `.field`,
/// `.method()?`); `None` unless every element is a plain name, optionally
/// called with no arguments and followed by `?`.
fn path_chain(expr: &str) -> Option<Vec<String>> {
    let mut parts = expr.split('.');
    let root = parts.next()?;
    let plain = |s: &str| {
        let s = s.strip_suffix('?').unwrap_or(s);
        let s = s.strip_suffix("()").unwrap_or(s);
        let s = s.strip_prefix("r#").unwrap_or(s);
        !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !plain(root) || root.contains('(') {
        return None;
    }
    let mut out = vec![root.to_string()];
    for part in parts {
        if !plain(part) {
            return None;
        }
        out.push(format!(".{part}"));
    }
    (out.len() > 1).then_some(out)
}

/// A function signature `head(params)tail` (tail is ` -> T {` or ` {`).
pub fn signature(indent: usize, head: &str, params: &[String], tail: &str) -> String {
    let joined = params.join(", ");
    let total = indent + width(head) + width(&joined) + 2 + width(tail);
    // A declaration (`...;`) exactly at the limit keeps its parameters on
    // one line and moves the return type down (measured rustfmt behaviour).
    if total == MAX_WIDTH && tail.ends_with(';') && tail.trim_start().starts_with("->") {
        return format!("{head}({joined})\n{}{}", pad(indent), tail.trim_start());
    }
    if total <= MAX_WIDTH {
        return format!("{head}({joined}){tail}");
    }
    let mut out = format!("{head}(");
    for p in params {
        out.push('\n');
        out.push_str(&pad(indent + TAB));
        out.push_str(p);
        out.push(',');
    }
    out.push('\n');
    out.push_str(&pad(indent));
    out.push(')');
    // A return type that leaves no room for the body's brace puts the
    // brace on a line of its own; rustfmt counts the indent twice there.
    match tail.strip_suffix(" {") {
        Some(ret) if 2 * indent + 1 + width(tail) > MAX_WIDTH => {
            out.push_str(ret);
            out.push('\n');
            out.push_str(&pad(indent));
            out.push('{');
        }
        _ => out.push_str(tail),
    }
    out
}

/// `lhs = rhs;` with an unbreakable right-hand side (a literal or a macro
/// rustfmt cannot format): moved to the next line only when that makes it fit.
pub fn assign(indent: usize, lhs: &str, rhs: &str) -> String {
    if indent + width(lhs) + 3 + width(rhs) < MAX_WIDTH || indent + TAB + width(rhs) >= MAX_WIDTH {
        format!("{lhs} = {rhs};")
    } else {
        format!("{lhs} =\n{}{rhs};", pad(indent + TAB))
    }
}

/// A struct field declaration `name: Type,`; a type that does not fit goes
/// on the next line, and one too long even there (maps of maps) keeps its
/// place and has its generic arguments broken one per line, as rustfmt does.
pub fn declaration(indent: usize, name: &str, ty: &str) -> String {
    if indent + width(name) + 2 + width(ty) < MAX_WIDTH {
        format!("{name}: {ty},")
    } else if indent + TAB + width(ty) < MAX_WIDTH || generic_args(ty).is_none() {
        format!("{name}:\n{}{ty},", pad(indent + TAB))
    } else {
        format!("{name}: {}", type_lines(indent, ty, ","))
    }
}

/// A type followed by `suffix`, whole if it fits at `indent`, otherwise
/// `Head<` with each argument on its own line one indent deeper (itself
/// broken the same way if needed) and `>` back at `indent`.
fn type_lines(indent: usize, ty: &str, suffix: &str) -> String {
    match generic_args(ty) {
        Some((head, args)) if indent + width(ty) + width(suffix) > MAX_WIDTH => {
            let mut out = format!("{head}<");
            for arg in args {
                out.push('\n');
                out.push_str(&pad(indent + TAB));
                out.push_str(&type_lines(indent + TAB, arg, ","));
            }
            out.push('\n');
            out.push_str(&pad(indent));
            out.push('>');
            out.push_str(suffix);
            out
        }
        _ => format!("{ty}{suffix}"),
    }
}

/// `Head<A, B<C, D>>` as `("Head", ["A", "B<C, D>"])`: the arguments split
/// at the commas outside nested brackets. `None` for a type that is not a
/// plain generic (no arguments, or anything after the closing `>`).
fn generic_args(ty: &str) -> Option<(&str, Vec<&str>)> {
    let open = ty.find('<')?;
    let inner = ty[open + 1..].strip_suffix('>')?;
    let mut args = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '<' | '(' | '[' => depth += 1,
            '>' | ')' | ']' => {
                depth -= 1;
                if depth < 0 {
                    return None;
                }
            }
            ',' if depth == 0 => {
                args.push(inner[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return None;
    }
    args.push(inner[start..].trim());
    Some((&ty[..open], args))
}

/// `use path::{a, b};` with the items version-sorted, as rustfmt orders
/// them; a list that overflows is filled onto indented lines.
pub fn use_list(path: &str, items: &[String]) -> String {
    let mut items = items.to_vec();
    // rustfmt puts `self` first, then the rest in version order.
    items.sort_by(|a, b| {
        (a != "self")
            .cmp(&(b != "self"))
            .then_with(|| crate::render::filters::version_cmp(a, b))
    });
    items.dedup();
    if let [only] = items.as_slice() {
        return format!("use {path}::{only};");
    }
    let one = format!("use {path}::{{{}}};", items.join(", "));
    // rustfmt breaks a use list from 99 columns on (measured with rustfmt
    // 1.8, edition 2024), two short of the line limit.
    if width(&one) <= MAX_WIDTH - 2 {
        return one;
    }
    let mut out = format!("use {path}::{{\n");
    let mut line = pad(TAB);
    for item in &items {
        let piece = format!("{item},");
        // rustfmt keeps a list line under the limit, not at it.
        if width(&line) > TAB && width(&line) + 1 + width(&piece) >= MAX_WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = pad(TAB);
        }
        if width(&line) > TAB {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    out.push_str(&line);
    out.push_str("\n};");
    out
}

/// A match arm with an expression body.
pub fn arm(indent: usize, pattern: &str, body: &str) -> String {
    let one = format!("{pattern} => {body},");
    if indent + width(&one) <= MAX_WIDTH {
        return one;
    }
    // In the block, a `call(..).await` body that still overflows breaks before `.await`.
    let inner = match body.rsplit_once(".await") {
        Some((call, rest)) if indent + TAB + width(body) > MAX_WIDTH => {
            format!("{call}\n{}.await{rest}", pad(indent + 2 * TAB))
        }
        _ => body.to_string(),
    };
    format!(
        "{pattern} => {{\n{}{inner}\n{}}}",
        pad(indent + TAB),
        pad(indent)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_simple_arguments_share_a_line_as_rustfmt_packs_them() {
        let head = "projections::endpoint_health_on_http_endpoint_registered_and_more_words_here";
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // Measured with rustfmt (edition 2024).
        assert_eq!(
            call(4, head, &args(&["&mut view", "envelope", "event"]), ";"),
            format!("{head}(\n        &mut view, envelope, event,\n    );")
        );
        assert_eq!(
            call(4, head, &args(&["&mut view", "envelopes_long", "ev"]), ";"),
            format!("{head}(\n        &mut view,\n        envelopes_long,\n        ev,\n    );")
        );
        assert_eq!(
            call(4, head, &args(&["&mut view", "x.clone()", "ev"]), ";"),
            format!("{head}(\n        &mut view,\n        x.clone(),\n        ev,\n    );")
        );
        assert!(is_simple("a.b") && is_simple("\"lit\"") && is_simple("3") && !is_simple("a::b"));
    }

    #[test]
    fn a_type_too_long_for_the_next_line_breaks_its_generics() {
        // Measured with rustfmt (edition 2024): the type stays beside its
        // name and each argument too long for its line breaks again.
        let map = |v: &str| format!("std::collections::BTreeMap<String, {v}>");
        let deep = map(&map(&map("Vec<Option<rust_decimal::Decimal>>")));
        assert_eq!(
            declaration(4, "pub readings_by_region_and_sensor_and_hour", &deep),
            "pub readings_by_region_and_sensor_and_hour: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<
            String,
            std::collections::BTreeMap<String, Vec<Option<rust_decimal::Decimal>>>,
        >,
    >,"
        );
        // Fits on the next line: moved there whole.
        let two = map(&map("String"));
        assert_eq!(
            declaration(4, "pub a_name_long_enough_to_push_the_type_down", &two),
            format!("pub a_name_long_enough_to_push_the_type_down:\n        {two},")
        );
        assert_eq!(declaration(4, "pub x", "String"), "pub x: String,");
        assert_eq!(
            generic_args("A<B<C, D>, (E, F)>"),
            Some(("A", vec!["B<C, D>", "(E, F)"]))
        );
        assert_eq!(
            generic_args("Box<dyn X<Y> + 'a>"),
            Some(("Box", vec!["dyn X<Y> + 'a"]))
        );
        assert_eq!(generic_args("A<B> + C"), None);
    }

    #[test]
    fn a_struct_field_too_long_for_its_line_breaks_its_chain() {
        let name = "readings_by_region_and_sensor_and_hour";
        let fields = [
            format!("{name}: input.{name}.clone()"),
            format!("{name}: Default::default()"),
            "..Old::new(id)".to_string(),
        ];
        assert_eq!(
            struct_lit(4, "let entity = SensorBatch", &fields, ";"),
            format!(
                "let entity = SensorBatch {{
        {name}: input
            .{name}
            .clone(),
        {name}: Default::default(),
        ..Old::new(id)
    }};"
            )
        );
        assert_eq!(
            path_chain("a.r#type.clone()?"),
            Some(vec!["a".into(), ".r#type".into(), ".clone()?".into()])
        );
        assert_eq!(path_chain("f(x).y"), None);
        assert_eq!(path_chain("x"), None);
    }

    #[test]
    fn an_assigned_chain_moves_below_as_rustfmt_chooses() {
        // Measured with rustfmt (edition 2024).
        let long = "a_to_b_leg_of_an_x_to_y_route_by_day_of_week_abcd";
        // Fits whole below: moved there.
        let rhs = "event.x_ray_scan_results_by_bay_and_hour_of_day.clone()";
        assert_eq!(
            assign_expr(4, "view.x_ray_scan_results_by_bay_and_hour_of_day", rhs),
            format!("view.x_ray_scan_results_by_bay_and_hour_of_day =\n        {rhs};")
        );
        // Wider than a chain may stay whole (60): broken in place.
        assert_eq!(
            assign_expr(4, &format!("view.{long}"), &format!("event.{long}.clone()")),
            format!("view.{long} = event\n        .{long}\n        .clone();")
        );
        // A field access is never too wide to stay whole.
        assert_eq!(
            assign_expr(4, &format!("view.{long}"), &format!("event.{long}")),
            format!("view.{long} =\n        event.{long};")
        );
        // A first element that does not fit beside `lhs = ` moves the
        // chain below even when it must break there.
        let root = "get(list_duty_period_of_a_crew_member_on_a_leg_xes)";
        let post = ".post(create_duty_period_of_a_crew_member_on_a_leg_x)";
        assert_eq!(
            chain(
                4,
                "let duty_period_of_a_crew_member_on_a_leg_xes = ",
                &[root.into(), post.into()],
                ";"
            ),
            format!(
                "let duty_period_of_a_crew_member_on_a_leg_xes =\n        {root}\n            {post};"
            )
        );
        // A trailing `?` costs two columns more: 99 is too many.
        let rhs = "input.new_x_ray_scan_by_bay_and_hour_of_day.parse()?";
        assert_eq!(
            assign_expr(4, "entity.x_ray_scan_by_bay_and_hour_of_da", rhs),
            format!("entity.x_ray_scan_by_bay_and_hour_of_da =\n        {rhs};")
        );
        let rhs = "input.yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy.parse()?";
        let lhs = format!("entity.{}", "a".repeat(33));
        assert_eq!(assign_expr(4, &lhs, rhs), format!("{lhs} = {rhs};"));
        // Anything else moves down only when that makes it fit.
        assert_eq!(assign(4, "let x", "1"), "let x = 1;");
    }

    #[test]
    fn a_broken_if_let_puts_its_brace_on_a_line_of_its_own() {
        let name = "a_bc_de_fg_hi_jk_lm_no_pq_rs_tu_vw_xy_za_bc_de_f";
        assert_eq!(
            if_let(16, "Some(key)", &format!("event.{name}.clone()")),
            format!(
                "if let Some(key) = event\n                    .{name}\n                    .clone()\n                {{"
            )
        );
        assert_eq!(
            if_let(16, "Some(key)", "event.id.clone()"),
            "if let Some(key) = event.id.clone() {"
        );
    }

    #[test]
    fn an_assigned_call_that_fits_below_moves_there() {
        // Measured with rustfmt (edition 2024).
        let steps = "fulfil_outbound_international_order_steps()";
        let args = [steps.to_string(), "modules.clone()".into()];
        assert_eq!(
            call(4, "let choreography = Choreography::new", &args, ";"),
            format!("let choreography =\n        Choreography::new({steps}, modules.clone());")
        );
        // Arguments wider than a call keeps on a line: opened in place.
        let steps = "plan_and_pay_a_duty_of_a_crew_member_xyz_steps()";
        let args = [steps.to_string(), "modules.clone()".into()];
        assert_eq!(
            call(4, "let choreography = Choreography::new", &args, ";"),
            format!(
                "let choreography = Choreography::new(\n        {steps},\n        modules.clone(),\n    );"
            )
        );
    }

    #[test]
    fn a_struct_field_calling_with_a_long_argument_breaks_the_call() {
        let name = "x_ray_scan_results_by_bay_and_hour_of_day";
        assert_eq!(
            field_entry(8, &format!("{name}: Some(entity.{name})"), ","),
            format!("{name}: Some(\n            entity.{name},\n        ),")
        );
        assert_eq!(
            field_entry(8, "x: Some(entity.x)", ","),
            "x: Some(entity.x),"
        );
    }

    #[test]
    fn composed_function_names_are_bounded_and_stay_distinct() {
        use crate::render::filters::bounded_fn_name;
        assert_eq!(bounded_fn_name("route_a_b"), "route_a_b");
        let long = |tail: &str| format!("view_{}_keys_{tail}", "a_bc".repeat(30));
        let (one, two) = (bounded_fn_name(&long("x")), bounded_fn_name(&long("y")));
        assert!(one.len() <= 80 && two.len() <= 80, "{one}");
        assert_ne!(one, two);
        assert!(one.starts_with("view_a_bc") && !one.contains("__"));
    }

    #[test]
    fn a_closure_too_long_for_its_line_gets_a_block() {
        let parts = |last: &str| {
            [
                "ctx".to_string(),
                ".receipts".into(),
                ".redeem(&input.h_ttp_endpoint_id)".into(),
                ".await?".into(),
                last.to_string(),
            ]
        };
        // Measured with rustfmt (edition 2024).
        let short = parts(
            ".ok_or_else(|| ServiceError::not_found(\"hTTPEndpointId\", input.h_ttp_endpoint_id.clone()))?",
        );
        assert_eq!(
            chain(4, "let issued_for = ", &short, ";"),
            "let issued_for = ctx\n        .receipts\n        .redeem(&input.h_ttp_endpoint_id)\n        .await?\n        .ok_or_else(|| {\n            ServiceError::not_found(\"hTTPEndpointId\", input.h_ttp_endpoint_id.clone())\n        })?;"
        );
        let long = parts(
            ".ok_or_else(|| ServiceError::not_found(\"hTTPEndpointIdxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\", input.h_ttp_endpoint_id_xxxxxxxxxxxxxxxxxxxxxxx.clone()))?",
        );
        assert_eq!(
            chain(4, "", &long, ";"),
            "ctx.receipts\n        .redeem(&input.h_ttp_endpoint_id)\n        .await?\n        .ok_or_else(|| {\n            ServiceError::not_found(\n                \"hTTPEndpointIdxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\",\n                input.h_ttp_endpoint_id_xxxxxxxxxxxxxxxxxxxxxxx.clone(),\n            )\n        })?;"
        );
    }

    #[test]
    fn a_return_type_that_fills_the_line_moves_the_brace_down() {
        let params = [
            "State(app): State<App>".to_string(),
            "Path(id): Path<String>".into(),
        ];
        let ret = |ty: &str| format!(" -> Result<Json<Vec<Recorded<{ty}>>>, ServiceError> {{");
        // Measured with rustfmt (edition 2024): `) -> … {` of 100 columns
        // stays, of 101 puts the brace on a line of its own; indented by
        // 4, of 96 and 97 (the indent counts twice).
        let fits = signature(0, "async fn history_item", &params, &ret(&"A".repeat(50)));
        assert!(fits.ends_with(&format!("{}>>>, ServiceError> {{", "A".repeat(50))));
        let over = signature(0, "async fn history_item", &params, &ret(&"A".repeat(51)));
        assert!(over.ends_with(&format!("{}>>>, ServiceError>\n{{", "A".repeat(51))));
        let fits = signature(
            4,
            "pub async fn history_item",
            &params,
            &ret(&"A".repeat(42)),
        );
        assert!(fits.ends_with(&format!("{}>>>, ServiceError> {{", "A".repeat(42))));
        let over = signature(
            4,
            "pub async fn history_item",
            &params,
            &ret(&"A".repeat(43)),
        );
        assert!(over.ends_with(&format!("{}>>>, ServiceError>\n    {{", "A".repeat(43))));
    }

    #[test]
    fn chains_break_at_sixty() {
        let parts = [
            "ctx".to_string(),
            ".products".into(),
            ".get(&input.id)".into(),
            ".await?".into(),
        ];
        assert_eq!(
            chain(4, "let e = ", &parts, ";"),
            "let e = ctx.products.get(&input.id).await?;"
        );
        let long = [
            "ctx".to_string(),
            ".stock_items".into(),
            ".get(&input.stock_item_id_with_long_name)".into(),
            ".await?".into(),
        ];
        assert_eq!(
            chain(4, "let e = ", &long, ";"),
            "let e = ctx\n        .stock_items\n        .get(&input.stock_item_id_with_long_name)\n        .await?;"
        );
    }

    #[test]
    fn struct_literals_break_above_eighteen() {
        assert_eq!(
            struct_lit(4, "let x = T", &["a: 1".into(), "bb: 22".into()], ";"),
            "let x = T { a: 1, bb: 22 };"
        );
        assert_eq!(
            struct_lit(4, "let y = Output", &["price: entity.price".into()], ";"),
            "let y = Output {\n        price: entity.price,\n    };"
        );
        assert_eq!(field("old_price", "old_price"), "old_price");
    }
}
