//! Threshold disclosure control (SPEC §10): no published cell rests on fewer
//! than k answers. A table's rows under k are merged into one «Gộp: …» row,
//! taking the next smallest rows in until it holds k, so no hidden row can be
//! recovered by subtracting the shown rows from a total (secondary
//! suppression); a table whose whole is under k is not shown. Within a set of
//! figures, a question, component or criterion answered fewer than k times is
//! left out, and a set of figures over fewer than k responses shows none.
//! Pure functions over counts; the report applies them to its figures
//! ([`crate::report::Figures::withhold_below`]) and every renderer reads the result.

/// The campaign's threshold: its `anonymity_k`, at least 1.
pub fn threshold(campaign: &sipas_shared::Campaign) -> u64 {
    u64::from(campaign.anonymity_k.max(1))
}

/// How a table of rows with `sizes` answers each is shown: groups of row
/// indices, one shown row each (a group of several is a merged row), or
/// `None` when the whole table holds fewer than `k`. Every group holds at
/// least `k`, and at most one group is merged.
pub fn merge_small(sizes: &[u64], k: u64) -> Option<Vec<Vec<usize>>> {
    let total: u64 = sizes.iter().sum();
    if total < k {
        return None;
    }
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| (sizes[i], i));
    let mut merged: Vec<usize> = order.iter().copied().filter(|&i| sizes[i] < k).collect();
    let mut shown: Vec<usize> = order.iter().copied().filter(|&i| sizes[i] >= k).collect();
    let mut held: u64 = merged.iter().map(|&i| sizes[i]).sum();
    // The merged row is the total less the shown rows: it must itself hold k,
    // so take in the smallest shown rows until it does.
    while !merged.is_empty() && held < k && !shown.is_empty() {
        let next = shown.remove(0);
        held += sizes[next];
        merged.push(next);
    }
    let mut groups: Vec<Vec<usize>> = shown.into_iter().map(|i| vec![i]).collect();
    if !merged.is_empty() {
        merged.sort_unstable();
        groups.push(merged);
    }
    groups.sort_by_key(|g| g[0]);
    Some(groups)
}

/// The label of a merged row: «Gộp: A, B».
pub fn merged_label(labels: &[&str]) -> String {
    format!("Gộp: {}", labels.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_small_row_is_merged_with_the_next_smallest_so_it_cannot_be_subtracted() {
        // 15 men, 4 women, 1 other: «other» alone would be one person, and
        // «women + other» = 5 is shown as one row; 20 − 15 gives only that.
        assert_eq!(merge_small(&[15, 4, 1], 5), Some(vec![vec![0], vec![1, 2]]));
        // 19 and 1: the one cannot hide in a row of its own, nor be the total
        // less 19, so both go into one row.
        assert_eq!(merge_small(&[19, 1], 5), Some(vec![vec![0, 1]]));
        // Nothing under k: every row as it is.
        assert_eq!(merge_small(&[5, 9], 5), Some(vec![vec![0], vec![1]]));
        // Under k in all: no table.
        assert_eq!(merge_small(&[2, 1], 5), None);
    }

    #[test]
    fn every_shown_row_holds_k_and_the_hidden_rows_stay_hidden() {
        let sizes = [12, 3, 7, 1, 2, 30];
        let groups = merge_small(&sizes, 5).expect("shown");
        for g in &groups {
            assert!(g.iter().map(|&i| sizes[i]).sum::<u64>() >= 5, "{groups:?}");
        }
        // Differencing: the total less every single shown row is the merged
        // row, never a row under k on its own.
        let total: u64 = sizes.iter().sum();
        let singles: u64 = groups.iter().filter(|g| g.len() == 1).map(|g| sizes[g[0]]).sum();
        assert!(total - singles >= 5);
        assert_eq!(groups.iter().filter(|g| g.len() > 1).count(), 1);
    }
}
