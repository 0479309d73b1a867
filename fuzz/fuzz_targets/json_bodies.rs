//! The JSON bodies people type into: the gaokao's registration form, the adult exam's basic
//! information and volunteers, the admission settings, the schedule, the adult calendar —
//! each parsed and then checked by its own rules, refused or accepted, never a panic. The
//! first byte chooses the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static HUNAN: LazyLock<engine::org::Province> = LazyLock::new(engine::org::Province::hunan);

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let today = engine::time::Date::new(2026, 9, 2).expect("a date");
    match choice % 6 {
        0 => {
            let _ = serde_json::from_slice::<gateway::routes::candidates::FormRequest>(body);
        }
        1 => {
            if let Ok(info) = serde_json::from_slice::<engine::adult::info::BasicInfo>(body) {
                let _ = info.check(today);
            }
        }
        2 => {
            if let Ok(volunteers) =
                serde_json::from_slice::<engine::adult::volunteer::Volunteers>(body)
            {
                let _ = engine::adult::volunteer::VolunteerRules::default().check(&volunteers);
            }
        }
        3 => {
            if let Ok(config) =
                serde_json::from_slice::<gateway::admission::config::AdmissionConfig>(body)
            {
                let _ = config.validate(&HUNAN);
            }
        }
        4 => {
            let _ = serde_json::from_slice::<engine::schedule::Schedule>(body);
        }
        _ => {
            if let Ok(calendar) =
                serde_json::from_slice::<engine::adult::confirmation::AdultCalendar>(body)
            {
                if let Some(city) = engine::org::CityCode::new(4301) {
                    let _ = calendar.registration_open(city, 4301, engine::time::Timestamp(0));
                }
                let _ = calendar.within_hours(engine::time::Timestamp(0));
            }
        }
    }
});
