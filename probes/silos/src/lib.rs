//! Silos probe: fill ratio, temperature and humidity of every silo on every farm, and whether
//! each farm is active.

wit_bindgen::generate!({ path: "../../wit", world: "probe-host:probe/probe", generate_all });

use potato::api::potatoes::{list_farms, list_silos};
use probe_host::probe::metrics::{Label, MetricType, Sample, SampleValue};

struct Silos;
export!(Silos);

impl Guest for Silos {
    fn collect() -> Result<Vec<MetricFamily>, String> {
        let farms = list_farms().map_err(|e| format!("list-farms: {e:?}"))?;
        let mut active = gauge("potato_farm_active", "1 if the farm is active, else 0.", None);
        let mut fill = gauge("potato_silo_fill_ratio", "Stored weight over capacity.", Some("ratio"));
        let mut temperature = gauge("potato_silo_temperature_celsius", "Temperature inside the silo.", Some("celsius"));
        let mut humidity = gauge("potato_silo_humidity_percent", "Relative humidity inside the silo.", None);
        for farm in &farms {
            active
                .samples
                .push(sample(&[("farm", &farm.id), ("region", &farm.region)], if farm.active { 1.0 } else { 0.0 }));
            let silos = list_silos(&farm.id).map_err(|e| format!("list-silos {}: {e:?}", farm.id))?;
            for silo in silos {
                let labels = [("farm", farm.id.as_str()), ("silo", silo.id.as_str())];
                if silo.capacity_kg > 0.0 {
                    fill.samples.push(sample(&labels, silo.stored_kg / silo.capacity_kg));
                }
                temperature.samples.push(sample(&labels, silo.temperature_celsius));
                humidity.samples.push(sample(&labels, silo.humidity_percent));
            }
        }
        Ok(vec![active, fill, temperature, humidity])
    }
}

fn gauge(name: &str, help: &str, unit: Option<&str>) -> MetricFamily {
    MetricFamily {
        name: name.into(),
        help: help.into(),
        unit: unit.map(Into::into),
        metric_type: MetricType::Gauge,
        samples: Vec::new(),
    }
}

fn sample(labels: &[(&str, &str)], value: f64) -> Sample {
    Sample {
        labels: labels.iter().map(|(name, value)| Label { name: (*name).into(), value: (*value).into() }).collect(),
        value: SampleValue::Number(value),
    }
}
