//! Example values for every field, aggregate body and op input, valid for
//! the generated code (enum values, parsable strings), so generated tests
//! can exercise every route without knowing the domain.

use serde_json::{Map, Value, json};

use crate::model::{Context, Field, Ty, ValueObject};

fn sample(ty: &Ty, name: &str, vos: &[ValueObject], depth: usize) -> Value {
    match ty.kind {
        "string" => json!(format!("{name}-1")),
        "int" => json!(1),
        "float" => json!(1.5),
        "bool" => json!(true),
        "decimal" => json!("1.50"),
        "uuid" => json!("00000000-0000-4000-8000-000000000001"),
        "datetime" => json!("2024-01-01T00:00:00Z"),
        "aggregate" => json!(format!("{name}-id")),
        "enum" => ty
            .variants
            .as_ref()
            .and_then(|v| v.first())
            .map_or(Value::Null, |v| json!(v)),
        "list" if depth > 3 => json!([]),
        "list" => json!([sample(
            ty.item.as_deref().expect("list item"),
            name,
            vos,
            depth + 1
        )]),
        "map" if depth > 3 => json!({}),
        "map" => {
            json!({ "key": sample(ty.item.as_deref().expect("map value"), name, vos, depth + 1) })
        }
        "value_object" => {
            let vo = vos
                .iter()
                .find(|v| Some(&v.name.rust_type) == ty.name.as_ref());
            match vo {
                // Lists and maps end the nesting of valid value objects;
                // the bound only stops endless ones, already refused.
                Some(vo) if depth <= 64 => object(&vo.fields, vos, depth + 1, |_| None),
                _ => json!({}),
            }
        }
        _ => Value::Null,
    }
}

/// A JSON object with a sample for every field (optional ones included),
/// `override_for` replacing chosen fields.
fn object(
    fields: &[Field],
    vos: &[ValueObject],
    depth: usize,
    override_for: impl Fn(&Field) -> Option<Value>,
) -> Value {
    let mut map = Map::new();
    for f in fields {
        let v =
            override_for(f).unwrap_or_else(|| sample(&f.ty.required(), &f.name.camel, vos, depth));
        let key = f.json_name().to_string();
        map.insert(key, v);
    }
    Value::Object(map)
}

pub fn fill(ctx: &mut Context) {
    let vos = ctx.value_objects.clone();
    let fill_fields = |fields: &mut Vec<Field>| {
        for f in fields.iter_mut() {
            f.sample = sample(&f.ty.required(), &f.name.camel, &vos, 0);
        }
    };
    for vo in &mut ctx.value_objects {
        fill_fields(&mut vo.fields);
    }
    for e in &mut ctx.events {
        fill_fields(&mut e.metadata);
        e.sample_metadata = object(&e.metadata, &vos, 0, |_| None);
    }
    for r in &mut ctx.read_models {
        fill_fields(&mut r.fields);
        r.key.sample = sample(&r.key.ty.required(), &r.key.name.camel, &vos, 0);
    }
    for w in &mut ctx.workflows {
        fill_fields(&mut w.input);
        w.sample_input = object(&w.input, &vos, 0, |_| None);
        for step in &mut w.steps {
            let calls = std::iter::once(&mut step.call)
                .chain(step.compensate.as_mut().map(|c| &mut c.call));
            for call in calls {
                fill_fields(&mut call.output);
                call.sample_output = object(&call.output, &vos, 0, |_| None);
            }
        }
    }
    for m in &mut ctx.modules {
        for a in &mut m.aggregates {
            fill_fields(&mut a.fields);
            a.sample_new = object(&a.fields, &vos, 0, |_| None);
            // Prefer a string or number: their change reads plainly in an assertion.
            let changeable = |f: &&Field| !f.ty.optional && matches!(f.ty.kind, "string" | "int");
            let flag = |f: &&Field| !f.ty.optional && f.ty.kind == "bool";
            let field = a
                .fields
                .iter()
                .find(changeable)
                .or_else(|| a.fields.iter().find(flag));
            a.sample_change = field.map(|f| {
                let rust_field = f.name.rust.clone();
                let (json, check) = match f.ty.kind {
                    "string" => (
                        json!("changed"),
                        format!("assert_eq!(updated.{rust_field}, \"changed\");"),
                    ),
                    "int" => (json!(2), format!("assert_eq!(updated.{rust_field}, 2);")),
                    _ => (json!(false), format!("assert!(!updated.{rust_field});")),
                };
                crate::model::SampleChange {
                    json_name: f.json_name().to_string(),
                    rust_field,
                    json,
                    check,
                }
            });
        }
        for o in &mut m.ops {
            fill_fields(&mut o.input);
            fill_fields(&mut o.output);
            // Strings the default body parses into an enum need a valid value.
            let parsed = o.recipe.parsed_inputs.clone();
            o.sample_input = object(&o.input, &vos, 0, |f| {
                parsed
                    .iter()
                    .find(|(name, _)| *name == f.name.raw)
                    .map(|(_, v)| json!(v))
            });
        }
    }
}
