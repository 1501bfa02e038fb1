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
    env.add_function("rs_field", |name: String, expr: String| field(&name, &expr));
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
    if width(&joined) <= CALL_WIDTH
        && indent + width(head) + width(&joined) + 2 + width(tail) <= MAX_WIDTH
    {
        return format!("{head}({joined}){tail}");
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
        out.push_str(f);
        if !f.starts_with("..") {
            out.push(',');
        }
    }
    out.push('\n');
    out.push_str(&pad(indent));
    out.push('}');
    out.push_str(tail);
    out
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
/// on the next line, as rustfmt does.
pub fn declaration(indent: usize, name: &str, ty: &str) -> String {
    if indent + width(name) + 2 + width(ty) < MAX_WIDTH {
        format!("{name}: {ty},")
    } else {
        format!("{name}:\n{}{ty},", pad(indent + TAB))
    }
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
