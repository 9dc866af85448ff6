//! Per-stage totals from the index's columns (count, Σ deal value, Σ p × deal value): what the
//! board's column headers show, in one pass over contiguous arrays instead of every lead.

use super::LeadIndex;
use crate::core::weights::sigmoid;

/// One stage's totals.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StageTotals {
    pub stage: String,
    pub count: usize,
    /// Σ deal value (unknown values count as 0).
    pub value: f64,
    /// Σ p × deal value.
    pub weighted: f64,
}

impl LeadIndex {
    /// Totals per stage the index knows (pipeline stages first, then any other stage the
    /// leads carry), terminal stages included.
    pub fn stage_totals(&self) -> Vec<StageTotals> {
        let mut out: Vec<StageTotals> = self
            .stages
            .iter()
            .map(|(name, _)| StageTotals {
                stage: name.clone(),
                ..StageTotals::default()
            })
            .collect();
        for r in 0..self.ids.len() {
            let t = &mut out[self.stage[r] as usize];
            t.count += 1;
            let v = self.deal_value[r];
            if !v.is_nan() {
                t.value += v;
                t.weighted += sigmoid(self.weights.bias + self.sums[r]) * v;
            }
        }
        out
    }
}
