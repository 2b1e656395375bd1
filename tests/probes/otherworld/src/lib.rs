//! A valid component of another world: it exports `run`, not `collect`.

wit_bindgen::generate!({
    inline: "
        package example:other;
        world other {
            export run: func() -> u32;
        }
    ",
    world: "example:other/other",
});

struct Other;
export!(Other);

impl Guest for Other {
    fn run() -> u32 {
        42
    }
}
