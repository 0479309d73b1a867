//! The province's controls: the schedule's windows and admission control (the pause switch
//! and the whole settings: region slots, rates, the overload guard, the waiting room).

use super::act;
use crate::admission::config::{AdmissionConfig, Slot, SlotMode};
use crate::app::AppError;
use crate::pages::layout::{Problem, csrf, field};
use crate::pages::text;
use crate::sessions::Caller;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use std::collections::HashMap;

/// `POST /console/windows` (province): sets a window afresh, or extends its close.
pub(super) async fn window(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let time = |name: &str| {
        engine::time::Timestamp::parse_cst_text(text(&fields, name)).ok_or_else(|| {
            AppError::invalid(
                "schedule_time_invalid",
                "times are 'YYYY-MM-DD HH:MM', China Standard Time",
            )
        })
    };
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let caller = Caller(session);
        let kind = crate::app::settings::window_kind(text(fields, "window"))?;
        if text(fields, "action") == "extend" {
            crate::app::settings::extend_window(state, &caller, kind, time("until")?).await?;
        } else {
            crate::app::settings::set_window(
                state,
                &caller,
                kind,
                time("opens_at")?,
                time("closes_at")?,
            )
            .await?;
        }
        Ok(())
    })
    .await
}

/// `POST /console/pause` (province): the emergency switch.
pub(super) async fn pause(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let paused = text(&fields, "paused") == "yes";
    let retry = text(&fields, "retry_after_seconds").parse::<u32>().ok();
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        crate::app::settings::pause(state, &Caller(session), paused, retry).await
    })
    .await
}

/// The numbers of the admission form: field name, label, and where each lives in the
/// settings. One list, so that the form and its reading cannot disagree.
const NUMBERS: [(&str, &str); 12] = [
    (
        "load_threshold_percent",
        "负载达到并发上限的百分之多少时启用时段（按负载启用时）",
    ),
    (
        "global_requests_per_second",
        "全省考生请求每秒上限（0 为不限）",
    ),
    (
        "region_requests_per_second",
        "每个市州考生请求每秒上限（0 为不限）",
    ),
    ("callback_requests_per_second", "支付与认证回调每秒上限"),
    (
        "login_attempts_per_account_per_minute",
        "每个账号每分钟登录次数上限",
    ),
    (
        "login_attempts_per_ip_per_minute",
        "每个地址每分钟登录次数上限",
    ),
    ("max_in_flight", "同时处理的考生请求上限"),
    ("min_in_flight", "自适应并发下限"),
    ("max_queue_milliseconds", "请求最长等待（毫秒）"),
    (
        "target_latency_milliseconds",
        "目标响应时间（毫秒，0 为固定上限）",
    ),
    (
        "admit_per_second_per_region",
        "排队考生每个市州每秒放行人数",
    ),
    ("ticket_ttl_seconds", "排队号有效时长（秒）"),
];

fn number_of(config: &AdmissionConfig, name: &str) -> u32 {
    let limits = &config.limits;
    match name {
        "load_threshold_percent" => u32::from(config.slots.load_threshold_percent),
        "global_requests_per_second" => limits.global_requests_per_second,
        "region_requests_per_second" => limits.region_requests_per_second,
        "callback_requests_per_second" => limits.callback_requests_per_second,
        "login_attempts_per_account_per_minute" => limits.login_attempts_per_account_per_minute,
        "login_attempts_per_ip_per_minute" => limits.login_attempts_per_ip_per_minute,
        "max_in_flight" => limits.max_in_flight,
        "min_in_flight" => limits.min_in_flight,
        "max_queue_milliseconds" => limits.max_queue_milliseconds,
        "target_latency_milliseconds" => limits.target_latency_milliseconds,
        "admit_per_second_per_region" => config.waiting_room.admit_per_second_per_region,
        "ticket_ttl_seconds" => config.waiting_room.ticket_ttl_seconds,
        _ => 0,
    }
}

fn set_number(config: &mut AdmissionConfig, name: &str, value: u32) -> Result<(), AppError> {
    let limits = &mut config.limits;
    match name {
        "load_threshold_percent" => {
            config.slots.load_threshold_percent = u8::try_from(value).map_err(|_| {
                AppError::invalid("admission_field_invalid", "load_threshold_percent: 0–100")
            })?
        }
        "global_requests_per_second" => limits.global_requests_per_second = value,
        "region_requests_per_second" => limits.region_requests_per_second = value,
        "callback_requests_per_second" => limits.callback_requests_per_second = value,
        "login_attempts_per_account_per_minute" => {
            limits.login_attempts_per_account_per_minute = value
        }
        "login_attempts_per_ip_per_minute" => limits.login_attempts_per_ip_per_minute = value,
        "max_in_flight" => limits.max_in_flight = value,
        "min_in_flight" => limits.min_in_flight = value,
        "max_queue_milliseconds" => limits.max_queue_milliseconds = value,
        "target_latency_milliseconds" => limits.target_latency_milliseconds = value,
        "admit_per_second_per_region" => config.waiting_room.admit_per_second_per_region = value,
        "ticket_ttl_seconds" => config.waiting_room.ticket_ttl_seconds = value,
        _ => {}
    }
    Ok(())
}

/// The slots as the form writes them: one per line, `4301,4302 08:00-10:00`.
fn slot_lines(slots: &[Slot]) -> String {
    slots
        .iter()
        .map(|slot| {
            let cities: Vec<String> = slot.cities.iter().map(u16::to_string).collect();
            format!("{} {}-{}", cities.join(","), slot.opens, slot.closes)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads the slot lines back; the times and cities are checked with the whole settings.
fn read_slots(text: &str) -> Result<Vec<Slot>, AppError> {
    let malformed = |line: &str| {
        AppError::invalid(
            "admission_field_invalid",
            format!("时段“{line}”应写作“4301,4302 08:00-10:00”（市州代码，空格，开始-结束）"),
        )
    };
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (cities, times) = line.split_once(' ').ok_or_else(|| malformed(line))?;
            let (opens, closes) = times
                .trim()
                .split_once('-')
                .ok_or_else(|| malformed(line))?;
            let cities = cities
                .split(',')
                .map(|code| code.trim().parse::<u16>().map_err(|_| malformed(line)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Slot {
                cities,
                opens: opens.trim().to_owned(),
                closes: closes.trim().to_owned(),
            })
        })
        .collect()
}

/// The settings the form describes, on top of those in force (the pause is its own
/// switch and is kept).
fn read_admission(
    current: &AdmissionConfig,
    fields: &HashMap<String, String>,
) -> Result<AdmissionConfig, AppError> {
    let mut config = current.clone();
    config.slots.mode = match text(fields, "slot_mode") {
        "off" => SlotMode::Off,
        "always" => SlotMode::Always,
        "when_loaded" => SlotMode::WhenLoaded,
        other => {
            return Err(AppError::invalid(
                "admission_field_invalid",
                format!("slot_mode: no mode named '{other}'"),
            ));
        }
    };
    config.slots.slots = read_slots(text(fields, "slots"))?;
    for (name, label) in NUMBERS {
        let value = text(fields, name).trim().parse::<u32>().map_err(|_| {
            AppError::invalid(
                "admission_field_invalid",
                format!("“{label}”应为不小于 0 的整数"),
            )
        })?;
        set_number(&mut config, name, value)?;
    }
    config.waiting_room.enabled = text(fields, "waiting_room") == "yes";
    Ok(config)
}

/// `POST /console/admission` (province): replaces the admission settings from the form —
/// validated whole, durable before in force, audited, as `PUT /v1/admission`.
pub(super) async fn admission(
    state: web::Data<AppState>,
    request: HttpRequest,
    fields: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let (state, fields) = (&state, &fields);
    act(state, &request, fields, |session| async move {
        let config = read_admission(&state.admission.config(), fields)?;
        crate::app::settings::replace_admission(state, &Caller(session), config).await
    })
    .await
}

/// The admission settings as a form: region slots, rates, the overload guard and the
/// waiting room.
pub(super) fn admission_form(
    config: &AdmissionConfig,
    csrf_token: &str,
    problem: Option<&Problem>,
) -> Markup {
    html! {
        section aria-labelledby="admission-heading" {
            h2 id="admission-heading" { "流量控制" }
            form method="post" action="/console/admission" {
                (csrf(csrf_token))
                fieldset {
                    legend { "分时段报名（按市州）" }
                    div class="field" {
                        label for="slot_mode" { "时段何时生效" }
                        select id="slot_mode" name="slot_mode" {
                            @for (mode, label) in [(SlotMode::Off, "不启用"), (SlotMode::Always, "始终按时段"), (SlotMode::WhenLoaded, "系统繁忙时按时段")] {
                                option value=(mode_name(mode)) selected[config.slots.mode == mode] { (label) }
                            }
                        }
                    }
                    div class="field" {
                        label for="slots" { "时段（每行一个：市州代码以逗号分隔，空格，开始-结束，如 4301,4302 08:00-10:00）" }
                        textarea id="slots" name="slots" rows="4" { (slot_lines(&config.slots.slots)) }
                    }
                }
                fieldset {
                    legend { "限流与排队" }
                    @for (name, label) in NUMBERS {
                        (field(name, label, "text", &number_of(config, name).to_string(), problem, "off"))
                    }
                    div class="check" {
                        input id="waiting_room" type="checkbox" name="waiting_room" value="yes" checked[config.waiting_room.enabled];
                        label for="waiting_room" { "繁忙时发排队号（考生页面显示排队位置并自动重试）" }
                    }
                }
                button type="submit" class="secondary" { "保存流量控制设置" }
            }
        }
    }
}

fn mode_name(mode: SlotMode) -> &'static str {
    match mode {
        SlotMode::Off => "off",
        SlotMode::Always => "always",
        SlotMode::WhenLoaded => "when_loaded",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(config: &AdmissionConfig) -> HashMap<String, String> {
        let mut fields: HashMap<String, String> = NUMBERS
            .iter()
            .map(|(name, _)| (name.to_string(), number_of(config, name).to_string()))
            .collect();
        fields.insert("slot_mode".into(), mode_name(config.slots.mode).into());
        fields.insert("slots".into(), slot_lines(&config.slots.slots));
        if config.waiting_room.enabled {
            fields.insert("waiting_room".into(), "yes".into());
        }
        fields
    }

    /// What the form shows reads back as the same settings, so saving an unchanged form
    /// changes nothing; a changed number or slot is read as written.
    #[test]
    fn the_form_round_trips_the_settings() {
        let mut config = AdmissionConfig::default();
        config.slots.mode = SlotMode::Always;
        config.slots.slots = vec![Slot {
            cities: vec![4301, 4302],
            opens: "08:00".into(),
            closes: "10:00".into(),
        }];
        config.limits.max_in_flight = 77;
        let read =
            read_admission(&AdmissionConfig::default(), &fields_of(&config)).expect("reads back");
        assert_eq!(read, config);
    }

    #[test]
    fn malformed_fields_are_refused_by_name() {
        let config = AdmissionConfig::default();
        for (name, value) in [
            ("max_in_flight", "many"),
            ("max_in_flight", "-1"),
            ("slots", "4301 0800"),
            ("slots", "43x1 08:00-10:00"),
            ("slot_mode", "sometimes"),
            ("load_threshold_percent", "300"),
        ] {
            let mut fields = fields_of(&config);
            fields.insert(name.into(), value.into());
            let error =
                crate::error::ApiError::from(read_admission(&config, &fields).expect_err(value));
            assert_eq!(error.code, "admission_field_invalid", "{name}={value}");
        }
    }
}
