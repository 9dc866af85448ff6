//! One demo lead: who they are, how they engage, how likely they are to buy, and what has
//! happened to them so far.

use super::engagement::{self, Appetite};
use super::history::{self, Journey, JourneyInput};
use super::propensity::{self, Fit};
use super::words::{self, COUNTRIES, FREEMAIL, SOURCES, Seniority, TITLES};
use super::{AttrValue, DAY, DemoBook, DemoChunk, Lead};
use crate::core::attrs::Attrs;
use crate::core::rng::SeededRng;

/// How far back lead creation goes.
pub const CREATION_HORIZON: i64 = 180 * DAY;

impl DemoBook {
    pub(super) fn make_lead(&mut self, chunk: &mut DemoChunk) {
        let now = self.config.now;
        let index = self.made;
        self.made += 1;
        let id = self.first_lead_id + index;
        let rng = &mut self.rng;
        let acct = self.open.as_mut().expect("an open account");
        acct.leads_left -= 1;
        let employees = acct.account.employees.unwrap_or(1);
        let country = if rng.chance(0.85) {
            acct.country
        } else {
            rng.weighted(&COUNTRY_WEIGHTS)
        };
        let (country_code, _, _, _, phone_prefix) = COUNTRIES[country];
        let culture = words::culture_of(country_code, rng.unit());
        let (first, last) = (*rng.pick(culture.first), *rng.pick(culture.last));

        let size = ((employees as f64).log10() / 4.0).clamp(0.0, 1.0);
        let (title, seniority) = if rng.chance(0.04) {
            ("", Seniority::Unknown)
        } else {
            let weights: Vec<f64> = TITLES
                .iter()
                .map(|t| t.weight_small * (1.0 - size) + t.weight_large * size)
                .collect();
            let t = &TITLES[rng.weighted(&weights)];
            (t.name, t.seniority)
        };

        let freemail_chance = 0.08
            + if employees < 10 { 0.25 } else { 0.0 }
            + if seniority == Seniority::Junior {
                0.5
            } else {
                0.0
            };
        let freemail = rng.chance(freemail_chance);
        let (f, l) = (words::email_part(first), words::email_part(last));
        let email = if freemail {
            let sep = if rng.chance(0.5) { "." } else { "" };
            format!("{f}{sep}{l}{}@{}", index + 1, rng.pick(FREEMAIL))
        } else {
            let mut local = match acct.email_style {
                0 => format!("{f}.{l}"),
                1 => format!("{}{l}", &f[..1.min(f.len())]),
                2 => f.clone(),
                _ => format!("{f}_{l}"),
            };
            if acct.used_locals.contains(&local) {
                local = format!("{local}{}", acct.used_locals.len() + 1);
            }
            acct.used_locals.push(local.clone());
            format!("{local}@{}", acct.account.domain)
        };
        let phone = if rng.chance(0.12) {
            String::new()
        } else {
            phone_number(rng, phone_prefix)
        };

        let source_weights: Vec<f64> = SOURCES.iter().map(|s| s.1).collect();
        let (source, _, inbound) = SOURCES[rng.weighted(&source_weights)];
        // More leads arrived recently than long ago: the book is growing.
        let created = now - (CREATION_HORIZON as f64 * (1.0 - rng.unit().sqrt())) as i64;

        // Latent intent: unobserved, it drives engagement and trials (which are observed).
        let intent = rng.normal();
        let plan_interest = if rng.chance(0.35) {
            None
        } else {
            let w = [0.6 - 0.45 * size, 0.3 + 0.05 * size, 0.1 + 0.4 * size];
            Some(["Starter", "Team", "Enterprise"][rng.weighted(&w)])
        };
        let arrival = if inbound {
            engagement::arrival_signal(rng, source)
        } else {
            None
        };
        let trial_active = arrival.is_some_and(|(_, form)| form == "Start free trial")
            || rng.chance(0.1 + if inbound { 0.08 } else { 0.0 } + 0.08 * intent.max(0.0));
        let industry = acct.account.industry.clone();
        let fit = propensity::fit_logit(&Fit {
            seniority,
            employees,
            industry: &industry,
            freemail,
            source,
            plan_interest,
            trial_active,
        });

        let mut lead = Lead {
            id,
            name: format!("{first} {last}"),
            email,
            phone,
            title: title.to_string(),
            account: acct.account.name.clone(),
            source: source.to_string(),
            country: country_code.to_string(),
            industry,
            employees: Some(employees),
            owner: acct.owner.to_string(),
            stage: "New".to_string(),
            stage_entered: created,
            next_action: None,
            deal_value: None,
            created,
            attrs: Attrs::new(),
        };
        if let Some(plan) = plan_interest {
            lead.attrs
                .insert("plan_interest".into(), AttrValue::Text(plan.into()));
        }
        lead.attrs
            .insert("trial_active".into(), AttrValue::Bool(trial_active));

        let first_activity = chunk.activities.len();
        let appetite = Appetite {
            bursts_per_month: (if inbound { 0.7 } else { 0.35 })
                * (0.3 * (fit + 1.0) + 0.8 * intent - 0.2).exp(),
            depth: (0.5 * intent + 0.15 * fit).exp(),
        };
        engagement::signals(
            rng,
            id,
            created,
            now,
            arrival,
            &appetite,
            &mut chunk.activities,
        );

        let first_touch = if rng.chance(0.3) {
            None
        } else {
            let delay = (-(1.0 - rng.unit()).ln() * 3.0 * DAY as f64) as i64;
            Some(history::working_time(rng, created + delay))
        };
        let at = first_touch.filter(|&t| t <= now).unwrap_or(now);
        let engaged = propensity::engagement_logit(&chunk.activities[first_activity..], at);
        let p = propensity::propensity(fit, engaged);

        let plan_factor = match plan_interest {
            Some("Enterprise") => 1.6,
            Some("Starter") => 0.6,
            _ => 1.0,
        };
        let deal = 1_800.0 * (employees as f64).powf(0.42) * (0.4 * rng.normal()).exp();
        let input = JourneyInput {
            propensity: p,
            first_touch,
            connect_chance: 0.22 + if inbound { 0.15 } else { 0.0 } + 0.1 * intent.clamp(-1.0, 1.0),
            bad_data_chance: 0.02
                + if freemail { 0.05 } else { 0.0 }
                + if lead.phone.is_empty() { 0.05 } else { 0.0 },
            deal_value: ((deal * plan_factor) / 100.0).round().max(5.0) * 100.0,
        };
        Journey {
            rng,
            catalog: &self.catalog,
            lead: &mut lead,
            activities: &mut chunk.activities,
            outcomes: &mut chunk.outcomes,
            next_seq: &mut self.next_seq,
            now,
        }
        .run(&input);
        chunk.activities[first_activity..].sort_by_key(|a| a.at);
        chunk.leads.push(lead);
        chunk.propensity.push(p);
    }
}

/// Country weights, in the order of [`COUNTRIES`].
pub(super) const COUNTRY_WEIGHTS: [f64; 10] = {
    let mut w = [0.0; 10];
    let mut i = 0;
    while i < 10 {
        w[i] = COUNTRIES[i].1;
        i += 1;
    }
    w
};

/// A phone number in the country's format, e.g. `+44 20 7946 0123`.
fn phone_number(rng: &mut SeededRng, prefix: &str) -> String {
    let digits = |rng: &mut SeededRng, n: u32| {
        let n = 10u64.pow(n);
        format!("{:0width$}", rng.below(n), width = n.ilog10() as usize)
    };
    match prefix {
        "+1" => format!("+1 {} 555 {}", rng.range(201, 989), digits(rng, 4)),
        "+44" => format!("+44 20 {} {}", digits(rng, 4), digits(rng, 4)),
        "+91" => format!("+91 {} {}", rng.range(70_000, 99_999), digits(rng, 5)),
        _ => format!(
            "{prefix} {} {} {}",
            rng.range(10, 99),
            digits(rng, 3),
            digits(rng, 4)
        ),
    }
}
