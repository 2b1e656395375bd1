//! The probe world plus an import the host does not provide.

wit_bindgen::generate!({
    inline: "
        package example:unknown;
        interface thing {
            poke: func() -> u32;
        }
        world probe-plus {
            include probe-host:probe/probe@0.1.2;
            import thing;
        }
    ",
    path: "../../../wit",
    world: "example:unknown/probe-plus",
    generate_all,
});

struct Plus;
export!(Plus);

impl Guest for Plus {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        // Use the import so it stays in the component.
        Err(format!("poked {}", example::unknown::thing::poke()))
    }
}
