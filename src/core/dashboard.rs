//! The dashboard's figures: funnel conversion, win rates, deal size, cycle time, leads per
//! stage over time and model health, computed once from the book (never per frame).

use std::collections::{BTreeMap, HashMap};

use crate::core::metrics;
use crate::core::model::{Lead, LeadId, Pipeline, Timestamp};

const DAY: i64 = 86_400;
/// How far apart the "leads per stage over time" snapshots are.
pub const SNAPSHOT_STEP_SECS: i64 = 7 * DAY;
/// How many snapshots (weeks) the stage history shows.
pub const SNAPSHOTS: usize = 8;
/// A rule counts as drifted when its learned weight is this many points from its prior.
pub const DRIFT_POINTS: f64 = 10.0;

/// A lead moving between stages, from its stage-change activity.
#[derive(Clone, Debug, PartialEq)]
pub struct StageMove {
    pub lead: LeadId,
    pub at: Timestamp,
    pub from: String,
    pub to: String,
}

/// A labelled outcome with the probability the model gave before learning from it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelledOutcome {
    pub at: Timestamp,
    pub predicted: f64,
    pub positive: bool,
}

/// A rule's prior and learned points (learned only when shown, after enough evidence).
#[derive(Clone, Debug, PartialEq)]
pub struct RuleWeights {
    pub name: String,
    pub prior_points: f64,
    pub learned_points: Option<f64>,
}

/// Everything the dashboard is computed from.
#[derive(Clone, Copy, Debug)]
pub struct DashboardInput<'a> {
    pub leads: &'a [Lead],
    pub pipeline: &'a Pipeline,
    pub moves: &'a [StageMove],
    pub labelled: &'a [LabelledOutcome],
    /// Leads per score band (see [`score_histogram`]).
    pub score_histogram: [u64; 10],
    pub rules: &'a [RuleWeights],
    /// How many of the newest labelled outcomes the AUC covers.
    pub recent: usize,
    pub now: Timestamp,
}

/// How many leads got at least as far as a funnel stage.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelStep {
    pub stage: String,
    pub reached: usize,
    /// reached ÷ the previous step's reached; `None` for the first step or an empty one.
    pub conversion: Option<f64>,
}

/// Won out of closed (won + lost) leads in one group.
#[derive(Clone, Debug, PartialEq)]
pub struct WinRate {
    pub group: String,
    pub won: usize,
    pub closed: usize,
}

impl WinRate {
    pub fn rate(&self) -> Option<f64> {
        (self.closed > 0).then(|| self.won as f64 / self.closed as f64)
    }
}

/// One probability decile: mean predicted vs observed positive rate.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationBin {
    pub n: usize,
    pub predicted: f64,
    pub observed: f64,
}

/// The dashboard's figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dashboard {
    pub funnel: Vec<FunnelStep>,
    pub by_source: Vec<WinRate>,
    pub by_owner: Vec<WinRate>,
    /// Mean deal value of won leads that have one.
    pub avg_deal_size: Option<f64>,
    /// Median days from created to won.
    pub median_cycle_days: Option<f64>,
    /// Snapshot times, oldest first, and per stage the count of leads in it at each.
    pub snapshot_times: Vec<Timestamp>,
    pub stage_history: Vec<(String, Vec<u64>)>,
    /// Ten bins of predicted probability; empty bins have `n = 0`.
    pub calibration: Vec<CalibrationBin>,
    pub labelled: usize,
    /// AUC of the newest `recent_n` labelled outcomes (`None` without both classes).
    pub auc_recent: Option<f64>,
    pub recent_n: usize,
    /// Leads per score band 0–9, 10–19, … 90–100.
    pub score_histogram: [u64; 10],
    /// Rules whose learned points are at least [`DRIFT_POINTS`] from their prior, largest first.
    pub drifted: Vec<RuleWeights>,
}

impl Dashboard {
    /// Expected calibration error: the gap between predicted and observed win rate per
    /// bin, weighted by the bin's outcomes; `None` before any labelled outcome.
    pub fn calibration_error(&self) -> Option<f64> {
        let n: usize = self.calibration.iter().map(|b| b.n).sum();
        (n > 0).then(|| {
            self.calibration
                .iter()
                .map(|b| b.n as f64 * (b.predicted - b.observed).abs())
                .sum::<f64>()
                / n as f64
        })
    }
}

fn decile(p: f64) -> usize {
    ((p * 10.0).floor().max(0.0) as usize).min(9)
}

/// Leads per score band 0–9, 10–19, … 90–100 of their probabilities.
pub fn score_histogram(probabilities: impl IntoIterator<Item = f64>) -> [u64; 10] {
    let mut out = [0u64; 10];
    for p in probabilities {
        out[decile(p)] += 1;
    }
    out
}

/// The band of σ(`logit`) without computing σ: the logit is compared with the bands' edges
/// in logit space (ln(k / (10 − k))), and only a logit within a hair of an edge — where σ's
/// rounding decides — is banded through σ. Equal to `decile(sigmoid(logit))` for every
/// logit; for a million leads on a keystroke, where a million exponentials are too slow.
pub fn decile_of_logit(logit: f64) -> usize {
    const EDGES: [f64; 9] = [
        -2.197_224_577_336_219_6, // ln(1/9)
        -1.386_294_361_119_890_6, // ln(2/8)
        -0.847_297_860_387_203_8, // ln(3/7)
        -0.405_465_108_108_164_4, // ln(4/6)
        0.0,
        0.405_465_108_108_164_4,
        0.847_297_860_387_203_8,
        1.386_294_361_119_890_6,
        2.197_224_577_336_219_6,
    ];
    const HAIR: f64 = 1e-9;
    let band = EDGES.partition_point(|&e| e <= logit);
    let near = |i: usize| EDGES.get(i).is_some_and(|&e| (logit - e).abs() < HAIR);
    if near(band) || (band > 0 && near(band - 1)) || logit.is_nan() {
        decile(crate::core::weights::sigmoid(logit))
    } else {
        band
    }
}

/// Where a stage sits in the funnel: the pipeline's order up to the first won stage, without
/// the other terminal stages (Lost) or stages after Won (Nurture).
fn funnel_stages(pipeline: &Pipeline) -> Vec<&str> {
    let mut out = Vec::new();
    for s in &pipeline.stages {
        if s.won {
            out.push(s.name.as_str());
            break;
        }
        if !s.terminal {
            out.push(s.name.as_str());
        }
    }
    out
}

fn group_name(text: &str) -> String {
    if text.trim().is_empty() {
        "(none)".into()
    } else {
        text.trim().to_string()
    }
}

fn win_rates<'a>(
    leads: &'a [Lead],
    pipeline: &Pipeline,
    key: impl Fn(&'a Lead) -> &'a str,
) -> Vec<WinRate> {
    let mut groups: BTreeMap<String, WinRate> = BTreeMap::new();
    for lead in leads {
        let Some(stage) = pipeline.find(&lead.stage) else {
            continue;
        };
        if !stage.terminal {
            continue;
        }
        let name = group_name(key(lead));
        let g = groups.entry(name.clone()).or_insert(WinRate {
            group: name,
            won: 0,
            closed: 0,
        });
        g.closed += 1;
        g.won += usize::from(stage.won);
    }
    let mut out: Vec<WinRate> = groups.into_values().collect();
    out.sort_by(|a, b| b.closed.cmp(&a.closed).then(a.group.cmp(&b.group)));
    out
}

/// Computes every figure of the dashboard.
pub fn compute(input: &DashboardInput<'_>) -> Dashboard {
    let pipeline = input.pipeline;
    let mut moves_of: HashMap<LeadId, Vec<&StageMove>> = HashMap::new();
    for m in input.moves {
        moves_of.entry(m.lead).or_default().push(m);
    }
    for v in moves_of.values_mut() {
        v.sort_by_key(|m| m.at);
    }

    // Funnel: a lead reached every funnel stage up to the furthest one it was ever in.
    let stages = funnel_stages(pipeline);
    let pos = |name: &str| {
        stages
            .iter()
            .position(|s| s.eq_ignore_ascii_case(name.trim()))
    };
    let mut reached = vec![0usize; stages.len()];
    for lead in input.leads {
        let mut furthest = pos(&lead.stage);
        for m in moves_of.get(&lead.id).into_iter().flatten() {
            furthest = furthest.max(pos(&m.from)).max(pos(&m.to));
        }
        if let Some(f) = furthest {
            for r in reached.iter_mut().take(f + 1) {
                *r += 1;
            }
        }
    }
    let funnel = stages
        .iter()
        .enumerate()
        .map(|(i, s)| FunnelStep {
            stage: s.to_string(),
            reached: reached[i],
            conversion: (i > 0 && reached[i - 1] > 0)
                .then(|| reached[i] as f64 / reached[i - 1] as f64),
        })
        .collect();

    let is_won = |l: &Lead| pipeline.find(&l.stage).is_some_and(|s| s.won);
    let values: Vec<f64> = input
        .leads
        .iter()
        .filter(|l| is_won(l))
        .filter_map(|l| l.deal_value)
        .collect();
    let avg_deal_size =
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
    let mut cycles: Vec<f64> = input
        .leads
        .iter()
        .filter(|l| is_won(l))
        .map(|l| (l.stage_entered - l.created).max(0) as f64 / DAY as f64)
        .collect();
    cycles.sort_by(f64::total_cmp);
    let median_cycle_days = median(&cycles);

    // Leads per stage at weekly snapshots ending now.
    let snapshot_times: Vec<Timestamp> = (0..SNAPSHOTS)
        .rev()
        .map(|k| input.now - k as i64 * SNAPSHOT_STEP_SECS)
        .collect();
    let mut history: Vec<(String, Vec<u64>)> = pipeline
        .stages
        .iter()
        .map(|s| (s.name.clone(), vec![0; SNAPSHOTS]))
        .collect();
    for lead in input.leads {
        let moves = moves_of.get(&lead.id).map_or(&[][..], Vec::as_slice);
        for (k, &t) in snapshot_times.iter().enumerate() {
            if lead.created > t {
                continue;
            }
            if let Some(i) = pipeline.index_of(stage_at(lead, moves, t)) {
                history[i].1[k] += 1;
            }
        }
    }

    // Model health.
    let mut labelled = input.labelled.to_vec();
    labelled.sort_by_key(|o| o.at);
    let mut bins = vec![(0usize, 0.0f64, 0usize); 10];
    for o in &labelled {
        let b = &mut bins[decile(o.predicted)];
        b.0 += 1;
        b.1 += o.predicted;
        b.2 += usize::from(o.positive);
    }
    let calibration = bins
        .into_iter()
        .map(|(n, sum, pos)| CalibrationBin {
            n,
            predicted: if n > 0 { sum / n as f64 } else { 0.0 },
            observed: if n > 0 { pos as f64 / n as f64 } else { 0.0 },
        })
        .collect();
    let recent = &labelled[labelled.len().saturating_sub(input.recent)..];
    let p: Vec<f64> = recent.iter().map(|o| o.predicted).collect();
    let y: Vec<bool> = recent.iter().map(|o| o.positive).collect();
    let mut drifted: Vec<RuleWeights> = input
        .rules
        .iter()
        .filter(|r| {
            r.learned_points
                .is_some_and(|l| (l - r.prior_points).abs() >= DRIFT_POINTS)
        })
        .cloned()
        .collect();
    let gap = |r: &RuleWeights| (r.learned_points.unwrap_or(r.prior_points) - r.prior_points).abs();
    drifted.sort_by(|a, b| gap(b).total_cmp(&gap(a)));

    Dashboard {
        funnel,
        by_source: win_rates(input.leads, pipeline, |l| &l.source),
        by_owner: win_rates(input.leads, pipeline, |l| &l.owner),
        avg_deal_size,
        median_cycle_days,
        snapshot_times,
        stage_history: history,
        calibration,
        labelled: labelled.len(),
        auc_recent: metrics::auc(&p, &y),
        recent_n: recent.len(),
        score_histogram: input.score_histogram,
        drifted,
    }
}

/// The stage a lead was in at `t`, from its sorted moves: the target of the last move at or
/// before `t`, else the source of the first later move, else its current stage.
fn stage_at<'a>(lead: &'a Lead, moves: &[&'a StageMove], t: Timestamp) -> &'a str {
    let before = moves.partition_point(|m| m.at <= t);
    if before > 0 {
        &moves[before - 1].to
    } else if let Some(first) = moves.first() {
        &first.from
    } else {
        &lead.stage
    }
}

fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

#[cfg(test)]
mod tests;
