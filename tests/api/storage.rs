//! Stored files in the database (issue 18, `storage.backend = "database"`): a deployment on
//! the data folder moves its files into PostgreSQL with `frdesk storage migrate --to
//! database` (booking photos too), an instance on the database back-end with the folder
//! emptied serves the packet, the probe image and the candidate photos and keeps a new case's
//! files in the database only, and `--to filesystem` brings every file back with its SHA-256,
//! where `frdesk packet verify` passes. On SQLite the database back-end is refused at start-up.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::helpers::*;
use crate::search::{review, searched_case};

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Every regular file under `dir` (relative names), `[]` when it does not exist.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                out.push(
                    e.path()
                        .strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}

/// A `frdesk serve` process on the app's folder and database; SIGKILLed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `frdesk serve` with `env` and points `app.address` at it once `/health` answers.
async fn serve(app: &mut TestApp, env: &[(&str, &str)], log: &str) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log = std::fs::File::create(app.data_dir.path().join(log)).unwrap();
    let mut cmd = app.frdesk();
    cmd.arg("serve")
        .env("FRDESK_HTTP__BIND", format!("127.0.0.1:{port}"))
        .env(
            "FRDESK_MAIL__FROM",
            "Face Search Desk <frdesk@test.example>",
        )
        .stdout(Stdio::null())
        .stderr(log);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let server = Server(cmd.spawn().unwrap());
    app.address = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    // Up to two minutes: the face models load before an instance is ready.
    for _ in 0..1200 {
        if let Ok(r) = http.get(format!("{}/ready", app.address)).send().await
            && r.status().is_success()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("frdesk serve did not become ready on port {port}");
}

fn stored(app: &TestApp, folder: &str) -> Vec<(String, String)> {
    use frdesk::platform::db::schema::stored_files::dsl::*;
    let mut c = app.pool.get().unwrap();
    stored_files
        .filter(path.like(format!("{folder}/%")))
        .select((path, sha256))
        .order(path.asc())
        .load(&mut c)
        .unwrap()
}

fn photo_paths(app: &TestApp) -> Vec<String> {
    use frdesk::gallery::schema::gallery_photos::dsl::*;
    let mut c = app.pool.get().unwrap();
    gallery_photos.select(file_path).load(&mut c).unwrap()
}

/// Reviews the case's probe by two examiners (the mate named a lead) after the first
/// examiner has loaded every candidate photo from `address`; returns the packet.
async fn conclude(
    app: &TestApp,
    case_id: i64,
    ps: &frdesk::search::ProbeSearch,
) -> frdesk::result::store::PacketRecord {
    let ranks: Vec<u32> = ps.candidates().iter().map(|c| c.rank).collect();
    let mate: Vec<u32> = ps
        .candidates()
        .iter()
        .filter(|c| c.subject_key == "Colin_Powell")
        .map(|c| c.rank)
        .collect();
    let url = format!("/cases/{case_id}/probes/{}/review", ps.id);
    let e1 = app.login("examiner@test.example").await;
    for r in &ranks {
        let res = e1
            .get(&format!(
                "/cases/{case_id}/probes/{}/candidates/{r}.jpg",
                ps.id
            ))
            .await;
        assert_eq!(
            res.status().as_u16(),
            200,
            "candidate photo {r} from {}",
            app.address
        );
        let body = res.bytes().await.unwrap();
        assert!(
            body.starts_with(&[0xff, 0xd8]),
            "candidate photo {r} is a JPEG"
        );
    }
    assert_eq!(
        review(&e1, &url, &ranks, &mate, "first").await.status(),
        303
    );
    let e2 = app.login("examiner2@test.example").await;
    assert_eq!(
        review(&e2, &url, &ranks, &mate, "second").await.status(),
        303
    );
    wait_for_packet(app, case_id).await
}

#[actix_web::test]
async fn files_move_into_the_database_serve_every_step_and_move_back_to_the_folder() {
    let Some(server) = pg_admin_url() else {
        // The SQLite run: the database back-end needs PostgreSQL, said at start-up.
        let dir = tempfile::tempdir().unwrap();
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_frdesk"))
            .env("FRDESK_DATA_DIR", dir.path())
            .env("FRDESK_DATABASE__URL", dir.path().join("frdesk.sqlite3"))
            .env("FRDESK_STORAGE__BACKEND", "database")
            .arg("serve")
            .output()
            .unwrap();
        assert!(
            !o.status.success(),
            "storage.backend = database on SQLite was accepted"
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("storage.backend = \"database\" needs a PostgreSQL database.url"),
            "{err}"
        );
        assert!(
            !dir.path().join("frdesk.sqlite3").exists(),
            "nothing was created"
        );
        return;
    };
    let _ = server;
    // 1. A desk on the data folder: gallery, a concluded case, its packet on disk.
    let mut app = prepare_app();
    let first = serve(&mut app, &[], "first.log").await;
    let gallery = tempfile::tempdir().unwrap();
    for p in ["Colin_Powell", "George_W_Bush", "Tony_Blair", "Hans_Blix"] {
        let d = gallery.path().join(p);
        std::fs::create_dir_all(&d).unwrap();
        let (name, bytes) = photo(p, 1);
        std::fs::write(d.join(name), bytes).unwrap();
    }
    let o = app
        .frdesk()
        .args(["gallery", "enroll", "--source", "test booking system"])
        .arg(gallery.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (case1, ps1) = searched_case(&app, photo("Colin_Powell", 2)).await;
    let p1 = conclude(&app, case1, &ps1).await;
    drop(first);
    let data = app.data_dir.path().to_path_buf();
    let on_disk = files_under(&data.join("packets"));
    assert_eq!(on_disk, [p1.file_name()]);
    assert!(!files_under(&data.join("images")).is_empty());
    assert!(photo_paths(&app).iter().all(|p| Path::new(p).is_absolute()));

    // 2. Move the files into PostgreSQL; the source stays as it was.
    let o = app
        .frdesk()
        .args(["storage", "migrate", "--to", "database"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("packets        1 file(s) copied and verified"),
        "{out}"
    );
    assert!(
        out.contains("4 booking photo(s) copied into the store"),
        "{out}"
    );
    assert!(
        out.contains("Now set storage.backend = \"database\""),
        "{out}"
    );
    assert_eq!(
        stored(&app, "packets"),
        [(p1.relative_path(), p1.file_sha256.clone())]
    );
    assert_eq!(
        stored(&app, "images").len(),
        files_under(&data.join("images")).len()
    );
    let photos = photo_paths(&app);
    assert!(
        photos.iter().all(|p| p.starts_with("gallery/")),
        "{photos:?}"
    );
    for (p, h) in stored(&app, "gallery") {
        assert!(p.contains(&h), "{p} is named by its SHA-256 {h}");
    }
    assert!(
        app.audit().iter().any(|r| r.action == "storage.migrate"),
        "the move is an audit record"
    );
    // Run again: nothing is copied twice.
    let o = app
        .frdesk()
        .args(["storage", "migrate", "--to", "database"])
        .output()
        .unwrap();
    let again = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(o.status.success());
    assert!(again.contains("packets        0 file(s) copied"), "{again}");

    // 3. The folder's copies and the enrolled files are gone; an instance on the database
    //    back-end serves the packet, the probe image and the candidate photos.
    for f in ["images", "packets"] {
        std::fs::remove_dir_all(data.join(f)).unwrap();
    }
    drop(gallery);
    let _second = serve(
        &mut app,
        &[("FRDESK_STORAGE__BACKEND", "database")],
        "second.log",
    )
    .await;
    let requester = app.login("requester.a@test.example").await;
    let r = requester
        .get(&format!("/cases/{case1}/packets/{}", p1.file_name()))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(sha(&r.bytes().await.unwrap()), p1.file_sha256);
    let (status, page) = requester.get_text(&format!("/cases/{case1}")).await;
    assert_eq!(status, 200);
    let img = page
        .split("src=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .find(|s| s.contains("/images/"))
        .expect("the case page shows the probe image")
        .replace("&amp;", "&");
    let r = requester.get(&img).await;
    assert_eq!(r.status().as_u16(), 200, "{img}");

    // 4. A new case on the database back-end keeps its files only in the database.
    let (case2, ps2) = searched_case(&app, photo("Colin_Powell", 3)).await;
    let p2 = conclude(&app, case2, &ps2).await;
    assert!(files_under(&data.join("packets")).is_empty());
    assert!(files_under(&data.join("images")).is_empty());
    assert!(
        stored(&app, "packets").contains(&(p2.relative_path(), p2.file_sha256.clone())),
        "the new packet is stored in the database"
    );

    // 5. Back to the folder: every file returns with its SHA-256; the packet verifies.
    let o = app
        .frdesk()
        .args(["storage", "migrate", "--to", "filesystem"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for folder in ["packets", "images", "gallery"] {
        for (p, h) in stored(&app, folder) {
            let bytes = std::fs::read(data.join(&p)).unwrap_or_else(|e| panic!("{p}: {e}"));
            assert_eq!(sha(&bytes), h, "{p}");
        }
    }
    let o = app
        .frdesk()
        .args(["packet", "verify", "--json"])
        .arg(data.join(p2.relative_path()))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!(report["signature_valid"], true, "{report}");
    // A name that leaves the store is refused by either back-end.
    let s = frdesk::platform::storage::Storage::filesystem(&data);
    assert!(s.get("../frdesk.sqlite3").is_err());
}
