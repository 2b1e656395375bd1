//! Silos probe: fill ratio, temperature and humidity of every silo on every farm, and whether
//! each farm is active.

wit_bindgen::generate!({
    inline: "package example:silos; world api { import potato:api/potatoes@0.1.1; }",
    path: "../../wit/deps/potato-api",
    world: "api",
    generate_all,
});

use potato::api::potatoes as api;
use probe_sdk::{Gauge, MetricFamily, Probe};

struct Silos;
probe_sdk::probe!(Silos);

impl Probe for Silos {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let farms = api::list_farms().map_err(|e| format!("list-farms: {e}"))?;
        let mut active = Gauge::new("potato_farm_active", "1 if the farm is active, else 0.");
        let mut fill = Gauge::new("potato_silo_fill_ratio", "Stored weight over capacity.").unit("ratio");
        let mut temperature =
            Gauge::new("potato_silo_temperature_celsius", "Temperature inside the silo.").unit("celsius");
        let mut humidity = Gauge::new("potato_silo_humidity_percent", "Relative humidity inside the silo.");
        for farm in &farms {
            active.set(&[("farm", &farm.id), ("region", &farm.region)], if farm.active { 1.0 } else { 0.0 });
            let silos = api::list_silos(&farm.id).map_err(|e| format!("list-silos {}: {e}", farm.id))?;
            for silo in silos {
                let labels = [("farm", farm.id.as_str()), ("silo", silo.id.as_str())];
                if silo.capacity_kg > 0.0 {
                    fill.set(&labels, silo.stored_kg / silo.capacity_kg);
                }
                temperature.set(&labels, silo.temperature_celsius);
                humidity.set(&labels, silo.humidity_percent);
            }
        }
        Ok(vec![active.into(), fill.into(), temperature.into(), humidity.into()])
    }
}
