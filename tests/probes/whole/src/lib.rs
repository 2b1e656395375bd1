//! The inventory example (probes/inventory) bound to the whole potato-api package instead of
//! its view: every potato arrives with all eight fields, four of them strings and a list the
//! probe drops unread: the example's own counting (its `count.rs`) under this binding. The
//! exporter benchmark runs it beside the example to show what the view saves; a test asserts
//! the same families.

wit_bindgen::generate!({
    inline: "package fixture:whole; world api { import potato:api/potatoes@0.1.1; }",
    path: "../../../wit/deps/potato-api",
    world: "api",
    generate_all,
});

#[path = "../../../../probes/inventory/src/count.rs"]
mod count;
#[path = "../../../../probes/inventory/src/labels.rs"]
mod labels;
