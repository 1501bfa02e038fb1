//! The files `parasol init` lays out: a project file, a small spec that
//! validates and generates cleanly, and a V5 bundle.

pub fn project_file() -> String {
    "# parasol project: where specs live and where generated code goes.\n\
     specs: specs/\n\
     out: { rust: generated/rust, ts: generated/ts }\n\
     # templates: templates/   # per-file overrides of the built-in templates\n"
        .to_string()
}

pub fn spec(name: &str) -> String {
    format!(
        r#"parasol: 1
bundle: ../bundles/v5-event-driven.md

bounded_context:
  name: {name}
  description: A first bounded context; edit it and run `parasol bc generate {name}`.
  architecture: v5-event-driven

  modules:
    catalog:
      description: Products and prices.
      aggregates:
        Product:
          fields:
            name: string
            price: int
      api:
        updatePrice:
          input: {{ productId: Product, newPrice: int }}
          output: {{ price: int }}
          emits: [product.price_changed]
          errors: [product_not_found]

    ordering:
      description: Orders.
      aggregates:
        Order:
          fields:
            customerId: string
            total: int
            status: {{ enum: [pending, placed, cancelled] }}
      api:
        place:
          input: {{ customerId: string, total: int }}
          output: {{ orderId: string }}
          emits: [order.placed]
        cancel:
          input: {{ orderId: string }}
          emits: [order.cancelled]
      subscribes: [product.price_changed]
      depends_on: [catalog]

  events:
    product.price_changed:
      entity: Product
      metadata: {{ oldPrice: int, newPrice: int }}
    order.placed:
      entity: Order
      metadata: {{ customerId: string, total: int }}
    order.cancelled:
      entity: Order
      metadata: {{ reason: string? }}

  workflows:
    Checkout:
      coordination: frontend
      compensation: best-effort
      state_sync: realtime-sse
      input: {{ customerId: string, total: int }}
      steps:
        - name: place_order
          call: ordering.place
          compensate: ordering.cancel
      on_success: {{ notify: order.placed }}
"#
    )
}

pub fn bundle() -> String {
    "---\n\
     bundle:\n  name: v5-event-driven\n  version: 1.0.0\n  description: Lightweight, edge-orchestrated events without event sourcing\n\
     config:\n  v5_principles:\n    - lightweight_events\n    - frontend_orchestration\n    - edge_coordination\n    - crud_plus_events\n    - no_event_sourcing\n  module_rules:\n    forbid_cycles: true\n\
     ---\n\n# V5 event-driven profile\n\nState changes plus notifications; workflows run at the edge.\n"
        .to_string()
}
