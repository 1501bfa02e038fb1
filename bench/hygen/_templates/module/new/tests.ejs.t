---
to: <%= out %>/<%= name %>/tests.rs
---
// @generated from <%= name %> (tests). Do not edit.
<% for (let i = 0; i < repeat; i++) { -%>
/// Record <%= i %> of module <%= name %>, with its identity, version and audit fields.
pub struct <%= h.changeCase.pascal(name) %>Record<%= i %> { pub id: String, pub version: u64, pub title: String, pub amount: i64 }
impl <%= h.changeCase.pascal(name) %>Record<%= i %> { pub fn new(id: &str) -> Self { Self { id: id.into(), version: 1, title: String::new(), amount: 0 } } }
<% } -%>
