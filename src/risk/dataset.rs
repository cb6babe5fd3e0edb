//! Training data: feature rows with labels, kept as dense row-major `f32` (NaN = missing) as
//! XGBoost wants it, read from and written to CSV (header: feature names, then `label`; an
//! empty field is a missing value).

use std::io::{BufRead, Write};

use aegis_workflows::features::FeatureVector;
use anyhow::{Context as _, bail};

#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub names: Vec<String>,
    /// Row-major, `names.len()` values per row.
    pub x: Vec<f32>,
    pub y: Vec<f32>,
}

impl Dataset {
    pub fn new(names: Vec<String>) -> Self {
        Self {
            names,
            x: Vec::new(),
            y: Vec::new(),
        }
    }

    pub fn rows(&self) -> usize {
        self.y.len()
    }

    pub fn width(&self) -> usize {
        self.names.len()
    }

    pub fn push(&mut self, features: &FeatureVector, label: bool) {
        self.x.extend_from_slice(&features.to_dense());
        self.y.push(if label { 1.0 } else { 0.0 });
    }

    pub fn push_dense(&mut self, row: &[f32], label: f32) {
        self.x.extend_from_slice(row);
        self.y.push(label);
    }

    pub fn row(&self, i: usize) -> &[f32] {
        let w = self.width();
        &self.x[i * w..(i + 1) * w]
    }

    pub fn positives(&self) -> usize {
        self.y.iter().filter(|&&v| v > 0.5).count()
    }

    /// The first `n` columns of every row (schema v1's head of a v2 set).
    pub fn head(&self, n: usize) -> Self {
        let n = n.min(self.width());
        let mut out = Self::new(self.names[..n].to_vec());
        out.x.reserve(self.rows() * n);
        for i in 0..self.rows() {
            out.push_dense(&self.row(i)[..n], self.y[i]);
        }
        out
    }

    /// The rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Self {
        let mut out = Self::new(self.names.clone());
        out.x.reserve(idx.len() * self.width());
        for &i in idx {
            out.push_dense(self.row(i), self.y[i]);
        }
        out
    }

    pub fn write_csv_header(w: &mut impl Write, names: &[String]) -> std::io::Result<()> {
        writeln!(w, "{},label", names.join(","))
    }

    pub fn write_csv_row(
        w: &mut impl Write,
        features: &FeatureVector,
        label: bool,
    ) -> std::io::Result<()> {
        let mut line = String::with_capacity(128);
        for v in features.0.iter() {
            if let Some(v) = v {
                line.push_str(&v.to_string());
            }
            line.push(',');
        }
        line.push(if label { '1' } else { '0' });
        line.push('\n');
        w.write_all(line.as_bytes())
    }

    pub fn read_csv(r: impl BufRead) -> anyhow::Result<Self> {
        let mut lines = r.lines();
        let header = lines.next().context("the CSV is empty")??;
        let mut cols: Vec<String> = header.split(',').map(|s| s.trim().to_owned()).collect();
        if cols.last().map(String::as_str) != Some("label") {
            bail!("the last CSV column must be 'label'");
        }
        cols.pop();
        let mut ds = Self::new(cols);
        let w = ds.width();
        let mut row = vec![0f32; w];
        for (n, line) in lines.enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != w + 1 {
                bail!(
                    "CSV line {} has {} fields, expected {}",
                    n + 2,
                    fields.len(),
                    w + 1
                );
            }
            for (slot, f) in row.iter_mut().zip(&fields) {
                *slot = if f.trim().is_empty() {
                    f32::NAN
                } else {
                    f.trim()
                        .parse()
                        .with_context(|| format!("CSV line {}: '{f}' is not a number", n + 2))?
                };
            }
            let label: f32 = fields[w]
                .trim()
                .parse()
                .with_context(|| format!("CSV line {}: bad label", n + 2))?;
            if label != 0.0 && label != 1.0 {
                bail!("CSV line {}: label must be 0 or 1", n + 2);
            }
            ds.push_dense(&row, label);
        }
        Ok(ds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aegis_workflows::features::{COUNT, F, names};

    #[test]
    fn csv_round_trips_missing_values() {
        let mut v = FeatureVector::default();
        v.set(F::DEPTH, Some(36.0));
        v.set(F::EMERGENCY, Some(1.0));
        let names: Vec<String> = names().into_iter().map(str::to_owned).collect();
        let mut buf = Vec::new();
        Dataset::write_csv_header(&mut buf, &names).unwrap();
        Dataset::write_csv_row(&mut buf, &v, true).unwrap();
        Dataset::write_csv_row(&mut buf, &FeatureVector::default(), false).unwrap();
        let ds = Dataset::read_csv(&buf[..]).unwrap();
        assert_eq!(ds.rows(), 2);
        assert_eq!(ds.width(), COUNT);
        assert_eq!(ds.row(0)[F::DEPTH as usize], 36.0);
        assert!(ds.row(0)[F::AREA as usize].is_nan());
        assert_eq!(ds.y, vec![1.0, 0.0]);
        assert!(Dataset::read_csv(&b"a,b\n1,2\n"[..]).is_err());
        assert!(Dataset::read_csv(&b"a,label\n1,2\n"[..]).is_err());
        assert!(Dataset::read_csv(&b"a,label\nx,1\n"[..]).is_err());
    }
}
