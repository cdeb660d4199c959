//! `frdesk bench load`: start-up time of the gallery index from a SQLite gallery: first start
//! (rebuilt from the database and saved), second start (from the saved index files).

use std::time::Instant;

use serde_json::json;

use crate::cli::bench::measure::{peak_rss_bytes, random_unit, tempfile_dir};
use crate::face::FaceEngine;
use crate::gallery::Gallery;

/// Writes `n` synthetic templates (over 1,000 subjects) to a temporary SQLite
/// gallery and times loading them into the index.
pub fn load_bench(engine: &FaceEngine, n: usize) -> anyhow::Result<serde_json::Value> {
    use crate::gallery::schema::{
        gallery_photos as p, gallery_subjects as s, gallery_templates as t,
    };
    use diesel::prelude::*;
    let dir = tempfile_dir()?;
    let db = dir.join("load.sqlite");
    let pool = crate::platform::db::connect(&db.display().to_string())?;
    let mut pooled = pool.get()?;
    let crate::platform::db::DbConnection::Sqlite(conn) = &mut *pooled else {
        anyhow::bail!("load bench needs SQLite");
    };
    let now = chrono::Utc::now().naive_utc();
    let dim = engine.template_dim();
    let subjects = 1000usize.min(n.max(1));
    let t0 = Instant::now();
    conn.transaction::<_, anyhow::Error, _>(|conn| {
        for i in 0..subjects {
            diesel::insert_into(s::table)
                .values((
                    s::subject_key.eq(format!("SYN-{i}")),
                    s::name.eq("synthetic"),
                    s::active.eq(true),
                    s::created_at.eq(now),
                ))
                .execute(conn)?;
            diesel::insert_into(p::table)
                .values((
                    p::subject_id.eq((i + 1) as i64),
                    p::booking_number.eq(""),
                    p::sha256.eq(format!("synthetic-{i}")),
                    p::file_path.eq(""),
                    p::active.eq(true),
                    p::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        let mut rng = rand::thread_rng();
        let mut v = Vec::with_capacity(dim);
        let mut done = 0;
        while done < n {
            let batch = (n - done).min(1000);
            let rows: Vec<_> = (0..batch)
                .map(|j| {
                    random_unit(&mut rng, dim, &mut v);
                    let sid = ((done + j) % subjects + 1) as i64;
                    (
                        t::photo_id.eq(sid),
                        t::subject_id.eq(sid),
                        t::model_id.eq(engine.model_id().to_string()),
                        t::model_version.eq(engine.model_version().to_string()),
                        t::vector.eq(crate::face::vector_to_le_bytes(&v)),
                        t::face_box.eq("[0,0,0,0]"),
                        t::landmarks.eq("[]"),
                        t::detector_score.eq(1.0),
                        t::active.eq(true),
                        t::created_at.eq(now),
                    )
                })
                .collect();
            diesel::insert_into(t::table).values(rows).execute(conn)?;
            done += batch;
        }
        Ok(())
    })?;
    drop(pooled);
    let write = t0.elapsed().as_secs_f64();
    let index_dir = dir.join("gallery-index");
    let t1 = Instant::now();
    let gallery = Gallery::open_in(pool.clone(), engine, Some(&index_dir))?;
    let load = t1.elapsed().as_secs_f64();
    let rebuilt = gallery.index_origin();
    drop(gallery);
    // Second start: the saved index matches the database.
    let t2 = Instant::now();
    let gallery = Gallery::open_in(pool, engine, Some(&index_dir))?;
    let startup = t2.elapsed().as_secs_f64();
    let stats = gallery.stats()?;
    let db_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    drop(gallery);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(json!({
        "templates": n,
        "write_seconds": write,
        "load_seconds": load,
        "rebuild_seconds": rebuilt.seconds,
        "startup_seconds": startup,
        "startup_index_origin": stats.index_origin,
        "index_templates": stats.index_templates,
        "index_memory_bytes": stats.index_memory_bytes,
        "sqlite_bytes": db_bytes,
        "peak_rss_bytes": peak_rss_bytes(),
    }))
}
