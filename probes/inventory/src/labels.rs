//! The label values of the potato-api's enums, as the inventory's series carry them. Shared
//! with the test fixtures that count the same families another way (`tests/probes/lean`, and
//! `whole` through `count.rs`), so that they cannot drift apart in spelling.

use crate::potato::api::types::{PotatoStatus, Variety};

pub(crate) fn status(s: PotatoStatus) -> &'static str {
    match s {
        PotatoStatus::Growing => "growing",
        PotatoStatus::Harvested => "harvested",
        PotatoStatus::Stored => "stored",
        PotatoStatus::Shipped => "shipped",
        PotatoStatus::Spoiled => "spoiled",
    }
}

pub(crate) fn variety(v: Variety) -> &'static str {
    match v {
        Variety::Russet => "russet",
        Variety::YukonGold => "yukon_gold",
        Variety::Fingerling => "fingerling",
        Variety::PurpleMajesty => "purple_majesty",
        Variety::KingEdward => "king_edward",
        Variety::Other => "other",
    }
}
