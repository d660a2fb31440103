//! The scorecard on a terminal: one screen, numbers first, the verdict
//! last, wrapped to 88 columns.

use std::fmt;

use super::Scorecard;

/// Beyond this many classes the confusion matrix is left to `--json`.
const MAX_MATRIX_CLASSES: usize = 10;

/// Class names in tables are cut to this many characters.
const NAME_WIDTH: usize = 12;

/// Verdict lines are wrapped to this width.
const WIDTH: usize = 88;

impl fmt::Display for Scorecard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.classes.len();
        writeln!(
            f,
            "{} examples, {} classes ({}), predictions: {}",
            self.examples,
            k,
            list(&self.classes),
            self.kind
        )?;
        writeln!(f)?;

        // The confusion matrix, with a column for rows that got no class.
        let unscored = self.unscored.iter().any(|&u| u > 0);
        if k <= MAX_MATRIX_CLASSES {
            write!(f, "  {:<w$}", "true \\ predicted", w = NAME_WIDTH + 4)?;
            for c in &self.classes {
                write!(f, " {:>w$}", cut(c), w = NAME_WIDTH)?;
            }
            if unscored {
                write!(f, " {:>w$}", "no class", w = NAME_WIDTH)?;
            }
            writeln!(f)?;
            for (t, row) in self.confusion.iter().enumerate() {
                let name = self.classes.get(t).map_or("", |s| cut(s));
                write!(f, "  {:<w$}", name, w = NAME_WIDTH + 4)?;
                for n in row {
                    write!(f, " {n:>w$}", w = NAME_WIDTH)?;
                }
                if unscored {
                    let u = self.unscored.get(t).copied().unwrap_or(0);
                    write!(f, " {u:>w$}", w = NAME_WIDTH)?;
                }
                writeln!(f)?;
            }
        } else {
            writeln!(f, "  (confusion matrix of {k} classes: see --json)")?;
        }
        writeln!(f)?;

        // Per class.
        writeln!(
            f,
            "  {:<w$} {:>9} {:>9} {:>9} {:>9}",
            "class",
            "support",
            "predicted",
            "recall",
            "precision",
            w = NAME_WIDTH + 4
        )?;
        for c in &self.per_class {
            writeln!(
                f,
                "  {:<w$} {:>9} {:>9} {:>9} {:>9}",
                cut(&c.class),
                c.support,
                c.predicted,
                opt(c.recall),
                opt(c.precision),
                w = NAME_WIDTH + 4
            )?;
        }
        writeln!(f)?;

        // The headline numbers.
        let row = |f: &mut fmt::Formatter<'_>, name: &str, value: String| {
            writeln!(f, "  {name:<20} {value}")
        };
        row(
            f,
            "accuracy",
            format!(
                "{:.3}  ({} of {})",
                self.accuracy, self.correct, self.examples
            ),
        )?;
        row(
            f,
            "balanced accuracy",
            format!(
                "{:.3}  (chance {:.3})",
                self.balanced_accuracy, self.verdict.chance
            ),
        )?;
        row(
            f,
            "majority baseline",
            format!(
                "{:.3}  (always {})",
                self.majority_baseline,
                super::verdict::class_words(&self.majority_class)
            ),
        )?;
        let auc = match (self.roc_auc, &self.roc_auc_note) {
            (Some(a), _) if self.non_finite.count > 0 => {
                format!(
                    "{a:.3}  (positive class {}; NaN/Inf ranked wrong)",
                    self.positive()
                )
            }
            (Some(a), _) => format!("{a:.3}  (positive class {})", self.positive()),
            (None, Some(note)) => format!("-  ({note})"),
            (None, None) => "-".to_string(),
        };
        row(f, "ROC AUC", auc)?;
        row(
            f,
            "NaN/Inf outputs",
            format!(
                "{} ({:.1}%)",
                self.non_finite.count,
                100.0 * self.non_finite.share
            ),
        )?;
        if self.not_a_class.count > 0 {
            row(
                f,
                "invalid labels",
                format!(
                    "{} ({:.1}%)",
                    self.not_a_class.count,
                    100.0 * self.not_a_class.share
                ),
            )?;
        }
        if let Some(plain) = &self.plain_argmax {
            let what = if plain.thresholded {
                "plain threshold"
            } else {
                "plain argmax"
            };
            row(
                f,
                what,
                format!("{:.3}  (accuracy if NaN went unchecked)", plain.accuracy),
            )?;
        }
        writeln!(f)?;

        // The verdict.
        writeln!(f, "Verdict")?;
        for line in &self.verdict.lines {
            for (i, part) in wrap(line, WIDTH - 4).iter().enumerate() {
                let lead = if i == 0 { "  - " } else { "    " };
                writeln!(f, "{lead}{part}")?;
            }
        }
        Ok(())
    }
}

impl Scorecard {
    fn positive(&self) -> &str {
        self.classes.get(1).map_or("1", String::as_str)
    }
}

fn list(names: &[String]) -> String {
    const SHOWN: usize = 6;
    let mut s = names
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        s.push_str(&format!(", … {} more", names.len() - SHOWN));
    }
    s
}

fn cut(name: &str) -> &str {
    match name.char_indices().nth(NAME_WIDTH) {
        Some((i, _)) => &name[..i],
        None => name,
    }
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".to_string(), |x| format!("{x:.3}"))
}

/// Greedy word wrap; a word longer than `width` stands on its own line.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::{Predictions, ScoreKind};

    #[test]
    fn the_all_nan_card_fits_a_screen_and_says_what_argmax_hides() {
        let labels: Vec<u32> = (0..1000).map(|i| u32::from(i >= 924)).collect();
        let p = Predictions::Scores {
            kind: ScoreKind::Logits,
            classes: 2,
            values: vec![f64::NAN; 2000],
        };
        let classes = ["nontarget".to_string(), "target".to_string()];
        let text = Scorecard::new(&labels, &p, &classes).unwrap().to_string();
        assert!(text.lines().count() <= 40, "{text}");
        assert!(text.lines().all(|l| l.chars().count() <= 100), "{text}");
        assert!(text.contains("no class"), "{text}");
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains("NaN/Inf outputs 1000 (100.0%)"), "{text}");
        assert!(
            flat.contains("a plain argmax over these outputs would report accuracy 0.924"),
            "{text}"
        );
        assert!(flat.contains("The accuracy trap"), "{text}");
    }

    #[test]
    fn wrap_keeps_words_whole() {
        assert_eq!(wrap("aa bb cc", 5), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh x", 4), ["abcdefgh", "x"]);
        assert_eq!(cut("abcdefghijklmnop"), "abcdefghijkl");
    }
}
