//! Comparing one chunk of one table between the two sides, and repairing it.
//!
//! ```text
//! 1. digest    both sides read once, hashed into (rows, Σ row hash)      equal → done
//! 2. narrow    both sides read again; per row (key hash → count, Σ row hash) in a map of at
//!              most `map_cap` keys per side, and per-bucket digests by 6 bits of the key hash.
//!              Maps complete → join them: the keys whose (count, sum) differ. A map overflowed
//!              → only the buckets whose digests differ are narrowed again, packed into groups
//!              of at most `map_cap` rows (one more read each), deeper bits for a bucket alone
//!              over the cap.
//! 3. fetch     both sides read again, keeping only rows of differing keys: the listed ones are
//!              rendered and, when changed, hashed column by column; with --apply the source's
//!              missing and changed rows stream into the staging table, the target's extra
//!              keys are staged after it; then delete, upsert, COMMIT (one transaction per chunk).
//! ```
//! A chunk one side of which is empty skips step 2: every row of the other side differs.
//! Keys are compared by the hash of their canonical bytes (docs/checksum.md) in the source's
//! Arrow schema, never by the servers' ordering, so text keys match across collations.

use arrow::compute::filter_record_batch;
use arrow_array::{BooleanArray, RecordBatch};
use arrow_schema::{Schema, SchemaRef};
use haul_formats::FormatError;
use haul_formats::checksum::{ChunkDigest, RowHasher};
use tokio::sync::mpsc;

use crate::diff::narrow::{Class, Collect, Filter, KeyMap, Pending, join, split};
use crate::diff::render::{Rendered, render};
use crate::diff::sides::{ReadSession, SidePlan, scan};
use crate::diff::{DiffRow, RowKind};
use crate::error::{EngineError, Result};
use crate::events::TableProgress;
use crate::source::{BatchLimits, CHANNEL_DEPTH, ChunkMsg};
use crate::upsert::{Applied, UpsertTable, UpsertTx, Writer};

/// One table as both sides read it.
#[derive(Debug)]
pub(crate) struct TableCtx {
    /// `schema.table` on the source.
    pub display: String,
    pub src: SidePlan,
    pub dst: SidePlan,
    /// The source's Arrow schema: what both sides' rows are hashed as.
    pub schema: SchemaRef,
    /// Key columns' positions in `schema`; empty for a table without a key.
    pub key: Vec<usize>,
    /// With --apply, for a keyed table.
    pub upsert: Option<UpsertTable>,
}

/// Knobs of a comparison.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Knobs {
    pub batch: BatchLimits,
    pub map_cap: usize,
    /// Rows listed per chunk (the table keeps the first of them).
    pub max_rows: usize,
    pub apply: bool,
    /// With `apply`: only delete the target's extra keys, never upsert (`haul sync --deletes`,
    /// which compares plans of the key columns alone).
    pub deletes_only: bool,
}

/// What one chunk comparison found (and repaired).
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub src: ChunkDigest,
    pub dst: ChunkDigest,
    pub missing: u64,
    pub extra: u64,
    pub changed: u64,
    /// Differing keys (or distinct rows, without a key), listed or not.
    pub entries: u64,
    pub rows: Vec<DiffRow>,
    pub applied: Option<Applied>,
}

/// Row and key hashes of a side's batches.
struct Hashes {
    row: RowHasher,
    key: Option<(RowHasher, Vec<usize>)>,
    rh: Vec<u128>,
    kh: Vec<u128>,
    chunk: String,
}

impl Hashes {
    fn try_new(schema: &Schema, key: &[usize], chunk: &str) -> Result<Self> {
        let err = |e| format_err(chunk, e);
        let key = if key.is_empty() {
            None
        } else {
            let ks = schema
                .project(key)
                .map_err(|e| EngineError::Other(e.to_string()))?;
            Some((RowHasher::try_new(&ks).map_err(err)?, key.to_vec()))
        };
        Ok(Self {
            row: RowHasher::try_new(schema).map_err(err)?,
            key,
            rh: Vec::new(),
            kh: Vec::new(),
            chunk: chunk.to_string(),
        })
    }

    /// Fills `rh` and `kh` (the row hash itself for a table without a key).
    fn hash(&mut self, b: &RecordBatch) -> Result<()> {
        self.row
            .hash_rows(b, &mut self.rh)
            .map_err(|e| format_err(&self.chunk, e))?;
        match &mut self.key {
            Some((h, pos)) => {
                let k = b
                    .project(pos)
                    .map_err(|e| EngineError::Other(e.to_string()))?;
                h.hash_rows(&k, &mut self.kh)
                    .map_err(|e| format_err(&self.chunk, e))?;
            }
            None => self.kh.clone_from(&self.rh),
        }
        Ok(())
    }
}

fn format_err(chunk: &str, e: FormatError) -> EngineError {
    EngineError::Format {
        chunk: chunk.to_string(),
        cause: Box::new(e),
    }
}

/// The sessions one comparison runs on.
pub(crate) struct Sessions<'a> {
    pub src: &'a mut ReadSession,
    pub dst: &'a mut ReadSession,
    pub writer: Option<&'a mut Writer>,
}

/// Compares chunk `ci` of `t`; repairs it with `knobs.apply` (keyed tables).
pub(crate) async fn compare_chunk(
    s: Sessions<'_>,
    t: &TableCtx,
    ci: usize,
    knobs: Knobs,
    progress: Option<&TableProgress>,
) -> Result<Found> {
    let Sessions { src, dst, writer } = s;
    let (sc, dc) = (&t.src.plan.chunks[ci], &t.dst.plan.chunks[ci]);
    let id = sc.id.as_str();
    let mut found = Found::default();
    // 1. Digests.
    let (mut hs, mut hd) = (hasher(&t.schema, id)?, hasher(&t.schema, id)?);
    let (ds, dd) = (&mut found.src, &mut found.dst);
    let (a, b) = tokio::join!(
        scan(src, &t.src, sc, knobs.batch, progress, None, |b| {
            hs.digest_batch(b, ds).map_err(|e| format_err(id, e))?;
            Ok(None)
        }),
        scan(dst, &t.dst, dc, knobs.batch, None, None, |b| {
            hd.digest_batch(b, dd).map_err(|e| format_err(id, e))?;
            Ok(None)
        }),
    );
    a?;
    b?;
    if found.src == found.dst {
        return Ok(found);
    }
    let mut tx = match (knobs.apply, &t.upsert, writer) {
        (true, Some(u), Some(w)) => Some(UpsertTx::begin(w, u, id).await?),
        _ => None,
    };
    let keyed = !t.key.is_empty();
    if keyed && (found.src.rows == 0 || found.dst.rows == 0) {
        one_sided(src, dst, t, ci, knobs, &mut found, tx.as_mut()).await?;
    } else {
        // 2. Narrow down, 3. fetch.
        let mut todo = vec![Filter::all()];
        while let Some(f) = todo.pop() {
            let (ca, cb) = narrow(src, dst, t, ci, knobs, f).await?;
            match (&ca.map, &cb.map) {
                (Some(ma), Some(mb)) => {
                    let listed = found.rows.len();
                    let d = join(ma, mb, keyed, knobs.max_rows.saturating_sub(listed));
                    drop((ca, cb));
                    found.entries += d.len() as u64;
                    for p in d.values() {
                        let extra_copies = p.dst.saturating_sub(p.src);
                        let missing_copies = p.src.saturating_sub(p.dst);
                        match (keyed, p.class) {
                            (true, Class::Missing) => found.missing += 1,
                            (true, Class::Extra) => found.extra += 1,
                            (true, Class::Changed) => found.changed += 1,
                            (false, _) => {
                                found.missing += u64::from(missing_copies);
                                found.extra += u64::from(extra_copies);
                            }
                        }
                    }
                    fetch(src, dst, t, ci, knobs, &d, &mut found, tx.as_mut()).await?;
                }
                _ => todo.extend(split(f, &ca, &cb, knobs.map_cap)?),
            }
        }
    }
    if let Some(tx) = tx {
        found.applied = Some(tx.commit().await?);
    }
    Ok(found)
}

fn hasher(schema: &Schema, chunk: &str) -> Result<RowHasher> {
    RowHasher::try_new(schema).map_err(|e| format_err(chunk, e))
}

/// One narrowing pass over both sides.
async fn narrow(
    src: &mut ReadSession,
    dst: &mut ReadSession,
    t: &TableCtx,
    ci: usize,
    knobs: Knobs,
    f: Filter,
) -> Result<(Collect, Collect)> {
    let (sc, dc) = (&t.src.plan.chunks[ci], &t.dst.plan.chunks[ci]);
    let (mut ca, mut cb) = (
        Collect::new(f, knobs.map_cap),
        Collect::new(f, knobs.map_cap),
    );
    let mut ha = Hashes::try_new(&t.schema, &t.key, &sc.id)?;
    let mut hb = Hashes::try_new(&t.schema, &t.key, &sc.id)?;
    let (a, b) = tokio::join!(
        scan(src, &t.src, sc, knobs.batch, None, None, |b| {
            ha.hash(b)?;
            ca.add(&ha.kh, &ha.rh);
            Ok(None)
        }),
        scan(dst, &t.dst, dc, knobs.batch, None, None, |b| {
            hb.hash(b)?;
            cb.add(&hb.kh, &hb.rh);
            Ok(None)
        }),
    );
    a?;
    b?;
    Ok((ca, cb))
}

/// Per-column hashes of one row, to name the changed columns.
fn column_hashes(
    hashers: &mut [RowHasher],
    b: &RecordBatch,
    chunk: &str,
) -> Result<Vec<Vec<u128>>> {
    let mut out = Vec::with_capacity(hashers.len());
    for (i, h) in hashers.iter_mut().enumerate() {
        let col = b
            .project(&[i])
            .map_err(|e| EngineError::Other(e.to_string()))?;
        let mut v = Vec::new();
        h.hash_rows(&col, &mut v)
            .map_err(|e| format_err(chunk, e))?;
        out.push(v);
    }
    Ok(out)
}

fn column_hashers(schema: &Schema, chunk: &str) -> Result<Vec<RowHasher>> {
    (0..schema.fields().len())
        .map(|i| {
            let s = schema
                .project(&[i])
                .map_err(|e| EngineError::Other(e.to_string()))?;
            RowHasher::try_new(&s).map_err(|e| format_err(chunk, e))
        })
        .collect()
}

/// What one side's fetch pass keeps of the listed rows.
#[derive(Default)]
struct Seen {
    rendered: KeyMap<Rendered>,
    columns: KeyMap<Vec<u128>>,
}

impl Seen {
    /// Renders (once) and, for changed keys, hashes per column the listed rows of `b` whose
    /// key hashes are `kh`.
    fn keep(
        &mut self,
        b: &RecordBatch,
        kh: &[u128],
        d: &KeyMap<Pending>,
        show: &[usize],
        cols: &mut [RowHasher],
        chunk: &str,
    ) -> Result<()> {
        let listed: Vec<bool> = kh
            .iter()
            .map(|k| d.get(k).is_some_and(|p| p.listed) && !self.rendered.contains_key(k))
            .collect();
        if !listed.iter().any(|x| *x) {
            return Ok(());
        }
        let keep = filter(b, &listed)?;
        let keys: Vec<u128> = kh
            .iter()
            .zip(&listed)
            .filter(|(_, l)| **l)
            .map(|(k, _)| *k)
            .collect();
        let per_col = column_hashes(cols, &keep, chunk)?;
        for (j, k) in keys.iter().enumerate() {
            if self.rendered.contains_key(k) {
                continue;
            }
            self.rendered.insert(*k, render(&keep, j, show));
            if d.get(k).is_some_and(|p| p.class == Class::Changed) {
                self.columns
                    .insert(*k, per_col.iter().map(|c| c[j]).collect());
            }
        }
        Ok(())
    }
}

fn filter(b: &RecordBatch, mask: &[bool]) -> Result<RecordBatch> {
    filter_record_batch(b, &BooleanArray::from(mask.to_vec()))
        .map_err(|e| EngineError::Other(format!("filtering rows: {e}")))
}

/// Reads both sides keeping the rows of `d`'s keys: lists them, and with a transaction stages
/// the source's missing and changed rows and then the target's extra keys.
#[allow(clippy::too_many_arguments)]
async fn fetch(
    src: &mut ReadSession,
    dst: &mut ReadSession,
    t: &TableCtx,
    ci: usize,
    knobs: Knobs,
    d: &KeyMap<Pending>,
    found: &mut Found,
    mut tx: Option<&mut UpsertTx<'_>>,
) -> Result<()> {
    let (sc, dc) = (&t.src.plan.chunks[ci], &t.dst.plan.chunks[ci]);
    let id = sc.id.as_str();
    let any_listed = d.values().any(|p| p.listed);
    let upserts =
        tx.is_some() && !knobs.deletes_only && d.values().any(|p| p.class != Class::Extra);
    let deletes = tx.is_some() && d.values().any(|p| p.class == Class::Extra);
    if !any_listed && !upserts && !deletes {
        return Ok(());
    }
    let show: Vec<usize> = if t.key.is_empty() {
        (0..t.schema.fields().len()).collect()
    } else {
        t.key.clone()
    };
    let (mut sa, mut sb) = (Seen::default(), Seen::default());
    let (mut ca, mut cb) = (
        column_hashers(&t.schema, id)?,
        column_hashers(&t.schema, id)?,
    );
    let mut ha = Hashes::try_new(&t.schema, &t.key, id)?;
    let mut hb = Hashes::try_new(&t.schema, &t.key, id)?;
    let mut extra_keys: Vec<RecordBatch> = Vec::new();
    let (stx, srx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
    let read_src = scan(
        src,
        &t.src,
        sc,
        knobs.batch,
        None,
        upserts.then_some(stx),
        |b| {
            ha.hash(b)?;
            sa.keep(b, &ha.kh, d, &show, &mut ca, id)?;
            if !upserts {
                return Ok(None);
            }
            let mask: Vec<bool> = ha
                .kh
                .iter()
                .map(|k| d.get(k).is_some_and(|p| p.class != Class::Extra))
                .collect();
            Ok(Some(filter(b, &mask)?))
        },
    );
    let read_dst = scan(dst, &t.dst, dc, knobs.batch, None, None, |b| {
        hb.hash(b)?;
        sb.keep(b, &hb.kh, d, &show, &mut cb, id)?;
        if deletes {
            let mask: Vec<bool> = hb
                .kh
                .iter()
                .map(|k| d.get(k).is_some_and(|p| p.class == Class::Extra))
                .collect();
            if mask.iter().any(|m| *m) {
                let k = filter(b, &mask)?
                    .project(&t.key)
                    .map_err(|e| EngineError::Other(e.to_string()))?;
                extra_keys.push(k);
            }
        }
        Ok(None)
    });
    match tx.as_deref_mut() {
        Some(tx) if upserts => {
            let (a, staged, b) = tokio::join!(read_src, tx.stage_rows(srx), read_dst);
            b?;
            match (a, staged) {
                (Err(e), Err(EngineError::WriterStopped)) | (Err(e), Ok(_)) => return Err(e),
                (_, Err(e)) => return Err(e),
                (Ok(_), Ok(_)) => {}
            }
        }
        _ => {
            drop(srx);
            let (a, b) = tokio::join!(read_src, read_dst);
            a?;
            b?;
        }
    }
    if let Some(tx) = tx
        && !extra_keys.is_empty()
    {
        stage_batches(tx, extra_keys).await?;
    }
    // The listed rows, each rendered from the side that has it.
    let mut keys: Vec<(&u128, &Pending)> = d.iter().filter(|(_, p)| p.listed).collect();
    keys.sort_unstable_by_key(|(k, _)| **k);
    for (k, p) in keys {
        let shown = sa.rendered.get(k).or_else(|| sb.rendered.get(k));
        let columns = match (sa.columns.get(k), sb.columns.get(k)) {
            (Some(x), Some(y)) => x
                .iter()
                .zip(y)
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, _)| t.schema.field(i).name().clone())
                .collect(),
            _ => Vec::new(),
        };
        let counts = t.key.is_empty() || p.src > 1 || p.dst > 1;
        found.rows.push(DiffRow {
            table: t.display.clone(),
            chunk: id.to_string(),
            kind: match p.class {
                Class::Missing => RowKind::Missing,
                Class::Extra => RowKind::Extra,
                Class::Changed => RowKind::Changed,
            },
            text: shown.map(|r| r.text.clone()).unwrap_or_default(),
            key: shown.map(|r| r.values.clone()).unwrap_or_default(),
            order: shown.map(|r| r.order.clone()).unwrap_or_default(),
            columns,
            source_count: counts.then_some(u64::from(p.src)),
            target_count: counts.then_some(u64::from(p.dst)),
        });
    }
    Ok(())
}

/// Stages keys held in memory.
async fn stage_batches(tx: &mut UpsertTx<'_>, batches: Vec<RecordBatch>) -> Result<()> {
    let (ktx, krx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
    let feed = async move {
        let mut rows = 0u64;
        for b in batches {
            rows += b.num_rows() as u64;
            if ktx.send(ChunkMsg::Batch(b)).await.is_err() {
                return;
            }
        }
        let _ = ktx.send(ChunkMsg::End { rows }).await;
    };
    let ((), staged) = tokio::join!(feed, tx.stage_keys(krx));
    staged.map(|_| ())
}

/// A keyed chunk whose other side is empty: every row of the non-empty side differs. One
/// read of that side lists the first rows and, with a transaction, stages all of them (rows
/// to upsert, or keys to delete) as they stream.
async fn one_sided(
    src: &mut ReadSession,
    dst: &mut ReadSession,
    t: &TableCtx,
    ci: usize,
    knobs: Knobs,
    found: &mut Found,
    tx: Option<&mut UpsertTx<'_>>,
) -> Result<()> {
    let missing = found.dst.rows == 0;
    found.entries = found.src.rows.max(found.dst.rows);
    let (session, side, chunk, kind) = if missing {
        found.missing = found.src.rows;
        (src, &t.src, &t.src.plan.chunks[ci], RowKind::Missing)
    } else {
        found.extra = found.dst.rows;
        (dst, &t.dst, &t.dst.plan.chunks[ci], RowKind::Extra)
    };
    let id = t.src.plan.chunks[ci].id.clone();
    let mut rows: Vec<Rendered> = Vec::new();
    let max = knobs.max_rows;
    let staging = tx.is_some() && !(missing && knobs.deletes_only);
    let key = t.key.clone();
    let (ftx, frx) = mpsc::channel::<ChunkMsg>(CHANNEL_DEPTH);
    let read = scan(
        session,
        side,
        chunk,
        knobs.batch,
        None,
        staging.then_some(ftx),
        |b| {
            for i in 0..b.num_rows().min(max.saturating_sub(rows.len())) {
                rows.push(render(b, i, &key));
            }
            if !staging {
                Ok(None)
            } else if missing {
                Ok(Some(b.clone()))
            } else {
                Ok(Some(
                    b.project(&key)
                        .map_err(|e| EngineError::Other(e.to_string()))?,
                ))
            }
        },
    );
    match tx.filter(|_| staging) {
        Some(tx) => {
            let stage = async {
                if missing {
                    tx.stage_rows(frx).await
                } else {
                    tx.stage_keys(frx).await
                }
            };
            let (read, staged) = tokio::join!(read, stage);
            match (read, staged) {
                (Err(e), Err(EngineError::WriterStopped)) | (Err(e), Ok(_)) => return Err(e),
                (_, Err(e)) => return Err(e),
                (Ok(_), Ok(_)) => {}
            }
        }
        None => {
            drop(frx);
            read.await?;
        }
    }
    for r in rows {
        found.rows.push(DiffRow {
            table: t.display.clone(),
            chunk: id.clone(),
            kind,
            text: r.text,
            key: r.values,
            order: r.order,
            columns: Vec::new(),
            source_count: None,
            target_count: None,
        });
    }
    Ok(())
}
