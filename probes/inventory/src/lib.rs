//! Inventory probe: important potatoes by status and variety, how many were harvested, and a
//! weight histogram, over every page of `list-important-potatoes`, counted page by page (the
//! probe holds one page of potatoes, not all of them).
//!
//! It binds the API from its own view of it (`wit/potato-api.wit`): of a potato, only the four
//! fields it reads, so the host never hands it the four strings and the list it would drop.
//! The counting is in `count.rs`, which a test fixture (`tests/probes/whole`) binds to whole
//! potatoes instead, to measure what the view saves; the label values in `labels.rs`, which
//! the fixtures share.

wit_bindgen::generate!({
    inline: "package example:inventory; world api { import potato:api/potatoes@0.1.1; }",
    path: "wit",
    world: "api",
    generate_all,
});

mod count;
mod labels;
