//! The floor for the generated service's stack (axum, tokio, serde): the
//! canonical example's `Product` created and read over HTTP, kept in a
//! `RwLock<HashMap>`, with none of the generated service's work (no
//! validation of versions, no events, no audit of who). `bench/http.sh`
//! runs it side by side with the generated service.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Product {
    id: String,
    version: u64,
    created_at: DateTime<Utc>,
    created_by: String,
    updated_at: DateTime<Utc>,
    updated_by: String,
    name: String,
    price: i64,
    category: String,
    tags: Vec<String>,
    discontinued: bool,
}

#[derive(Deserialize)]
struct NewProduct {
    name: String,
    price: i64,
    category: String,
    tags: Vec<String>,
    discontinued: bool,
}

type Store = Arc<RwLock<HashMap<String, Product>>>;

async fn create(
    State(store): State<Store>,
    Json(new): Json<NewProduct>,
) -> (StatusCode, Json<Product>) {
    let now = Utc::now();
    let product = Product {
        id: uuid::Uuid::new_v4().to_string(),
        version: 1,
        created_at: now,
        created_by: "anonymous".into(),
        updated_at: now,
        updated_by: "anonymous".into(),
        name: new.name,
        price: new.price,
        category: new.category,
        tags: new.tags,
        discontinued: new.discontinued,
    };
    store
        .write()
        .unwrap()
        .insert(product.id.clone(), product.clone());
    (StatusCode::CREATED, Json(product))
}

async fn read(
    State(store): State<Store>,
    Path(id): Path<String>,
) -> Result<Json<Product>, StatusCode> {
    store
        .read()
        .unwrap()
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

#[tokio::main]
async fn main() {
    let store: Store = Arc::default();
    let app = Router::new()
        .route("/api/catalog/products", post(create))
        .route("/api/catalog/products/{id}", get(read))
        .with_state(store);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("listening on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.unwrap();
}
