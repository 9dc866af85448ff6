//! Importer behaviour on small files: vendor headers, CSV dialects, rejects, merging, dry runs.

use std::path::{Path, PathBuf};

use super::*;
use crate::core::model::{AttrValue, Lead};

const NOW: Timestamp = 1_795_651_200;

struct Book {
    dir: tempfile::TempDir,
    store: Store,
}

fn book() -> Book {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("book.db")).unwrap();
    Book { dir, store }
}

impl Book {
    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn import(&self, path: &Path, maps: &[&str]) -> Result<ImportSummary, ImportError> {
        self.run(path, maps, false)
    }

    fn run(&self, path: &Path, maps: &[&str], dry_run: bool) -> Result<ImportSummary, ImportError> {
        let overrides: Vec<ColumnOverride> =
            maps.iter().map(|m| parse_map_arg(m).unwrap()).collect();
        let options = ImportOptions { dry_run, now: NOW };
        import_csv(&self.store, path, &overrides, &options, &mut |_| {})
    }

    fn leads(&self) -> Vec<Lead> {
        self.store.leads().map(Result::unwrap).collect()
    }
}

fn fields_of(headers: &str) -> Vec<(String, &'static str)> {
    let headers: Vec<String> = headers.split(',').map(str::to_string).collect();
    let m = resolve_columns(&headers, &[]).unwrap();
    m.fields()
        .map(|(c, f)| (headers[c].clone(), f.name()))
        .collect()
}

#[test]
fn vendor_headers_map_onto_lead_fields() {
    let f = |h: &str, field: &'static str| (h.to_string(), field);
    // HubSpot contacts export: Lead Status wins the stage over Lifecycle Stage.
    assert_eq!(
        fields_of(
            "Record ID,First Name,Last Name,Email,Phone Number,Company Name,Job Title,Lifecycle Stage,Lead Status,Contact owner,Original Source,Country/Region,Number of Employees,Create Date"
        ),
        vec![
            f("First Name", "first_name"),
            f("Last Name", "last_name"),
            f("Email", "email"),
            f("Phone Number", "phone"),
            f("Company Name", "account"),
            f("Job Title", "title"),
            f("Lead Status", "stage"),
            f("Contact owner", "owner"),
            f("Original Source", "source"),
            f("Country/Region", "country"),
            f("Number of Employees", "employees"),
            f("Create Date", "created"),
        ]
    );
    // Salesforce leads report.
    assert_eq!(
        fields_of(
            "Lead ID,Name,Title,Company,E-mail,Mobile Phone,Lead Source,Lead Status,Lead Owner,Industry,Expected Revenue,Created Date"
        ),
        vec![
            f("Name", "name"),
            f("Title", "title"),
            f("Company", "account"),
            f("E-mail", "email"),
            f("Mobile Phone", "phone"),
            f("Lead Source", "source"),
            f("Lead Status", "stage"),
            f("Lead Owner", "owner"),
            f("Industry", "industry"),
            f("Expected Revenue", "deal_value"),
            f("Created Date", "created"),
        ]
    );
    // Pipedrive people export.
    assert_eq!(
        fields_of(
            "Person - Name,Person - Email - Work,Person - Phone - Work,Organization,Owner,Deal Value,Status"
        ),
        vec![
            f("Person - Name", "name"),
            f("Person - Email - Work", "email"),
            f("Person - Phone - Work", "phone"),
            f("Organization", "account"),
            f("Owner", "owner"),
            f("Deal Value", "deal_value"),
            f("Status", "stage"),
        ]
    );
    // Facebook Lead Ads CSV: ad/form ids are attributes, `id` is the key.
    let fb =
        "id,created_time,ad_id,ad_name,form_id,full_name,email,phone_number,company_name,job_title";
    assert_eq!(
        fields_of(fb),
        vec![
            f("created_time", "created"),
            f("full_name", "name"),
            f("email", "email"),
            f("phone_number", "phone"),
            f("company_name", "account"),
            f("job_title", "title"),
        ]
    );
    let headers: Vec<String> = fb.split(',').map(str::to_string).collect();
    assert_eq!(resolve_columns(&headers, &[]).unwrap().key_column, Some(0));
}

#[test]
fn map_overrides_win_and_bad_ones_are_refused_before_writing() {
    let b = book();
    let p = b.file(
        "m.csv",
        b"Mobile,Region,Email Address,Notes\n555,EMEA,a@x.com,hi\n",
    );
    let s = b
        .import(
            &p,
            &["mobile=phone", "Region=attr:Territory", "Notes=ignore"],
        )
        .unwrap();
    let lead = &b.leads()[0];
    assert_eq!(lead.phone, "555");
    assert_eq!(lead.attrs["Territory"], AttrValue::Text("EMEA".into()));
    assert!(!lead.attrs.contains_key("Notes"));
    assert_eq!(s.ignored, vec!["Notes".to_string()]);
    for (map, words) in [
        ("Nope=phone", "no column \"Nope\""),
        ("Mobile=telephone", "unknown field \"telephone\""),
        ("Mobile", "expected COL=FIELD"),
    ] {
        let err = parse_map_arg(map)
            .and_then(|o| resolve_columns(&["Mobile".to_string()], &[o]).map(|_| unreachable!()))
            .unwrap_err();
        assert!(err.contains(words), "{map}: {err}");
    }
    let empty = book();
    let p = empty.file("m.csv", b"Mobile,Email\n1,a@x.com\n");
    let err = ImportPlan::prepare(&p, &[parse_map_arg("Phone=phone").unwrap()]).unwrap_err();
    assert!(err.is_bad_input() && err.to_string().contains("its columns are: Mobile, Email"));
    assert!(empty.store.is_empty());
}

#[test]
fn dialects_bom_crlf_quotes_semicolons_and_tabs_import_alike() {
    let files: [&[u8]; 4] = [
        b"\xEF\xBB\xBFName,Email,Notes\r\n\"Ruiz, Ana\",ana@x.com,\"line one\r\nline \"\"two\"\"\"\r\n",
        b"Name;Email;Notes\n\"Ruiz, Ana\";ana@x.com;\"line one\r\nline \"\"two\"\"\"\n",
        b"Name\tEmail\tNotes\n\"Ruiz, Ana\"\tana@x.com\t\"line one\r\nline \"\"two\"\"\"",
        b"Name,Email,Notes\r\"Ruiz, Ana\",ana@x.com,\"line one\r\nline \"\"two\"\"\"\r",
    ];
    for (i, bytes) in files.iter().enumerate() {
        let b = book();
        let s = b.import(&b.file("d.csv", bytes), &[]).unwrap();
        assert_eq!((s.rows_read, s.imported, s.rejected), (1, 1, 0), "file {i}");
        let lead = &b.leads()[0];
        assert_eq!(lead.name, "Ruiz, Ana", "file {i}");
        assert_eq!(lead.email, "ana@x.com");
        assert_eq!(
            lead.attrs["Notes"],
            AttrValue::Text("line one\r\nline \"two\"".into())
        );
    }
}

#[test]
fn an_undetectable_separator_is_refused_clearly() {
    let b = book();
    for bytes in [&b"Name Email\nAna a@x.com\n"[..], b"", b"\n\n"] {
        let err = b.import(&b.file("u.csv", bytes), &[]).unwrap_err();
        assert!(err.is_bad_input(), "{err}");
    }
    let err = b
        .import(&b.file("u.csv", b"Name Email\nAna\n"), &[])
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot tell the column separator"),
        "{err}"
    );
    let err = b.import(&b.file("a.csv", b"a,b;c\n"), &[]).unwrap_err();
    assert!(
        err.to_string().contains("as many commas as semicolons"),
        "{err}"
    );
    assert!(b.store.is_empty());
}

#[test]
fn a_100k_character_field_imports_and_a_huge_one_rejects_its_row() {
    let b = book();
    let long = "x".repeat(100_000);
    let huge = "y".repeat(reader::MAX_FIELD_BYTES + 1);
    let data = format!("Email,Bio\na@x.com,\"{long}\"\nb@x.com,{huge}\nc@x.com,short\n");
    let p = b.file("big.csv", data.as_bytes());
    let s = b.import(&p, &[]).unwrap();
    assert_eq!((s.imported, s.rejected), (2, 1));
    assert_eq!(s.rejects[0].line, 3);
    assert!(s.rejects[0].reason.contains("longer than 1 MiB"));
    let a = b.store.find_lead("a@x.com").unwrap();
    assert_eq!(a.attrs["Bio"], AttrValue::Text(long));
}

#[test]
fn bad_rows_are_rejected_with_their_line_into_the_reject_file() {
    let b = book();
    let mut data = b"Name,Email,Employees,Amount\n".to_vec();
    data.extend_from_slice(b"Ana,ana@x.com,10,100\n"); // line 2: fine
    data.extend_from_slice(b"\"Bo\nBoss\",bo@x.com,many,5\n"); // line 3: bad employees
    data.extend_from_slice(b"Cy,cy@x.com,5\n"); // line 5: 3 cells
    data.extend_from_slice(b"D\xFF,d@x.com,1,1\n"); // line 6: invalid UTF-8
    data.extend_from_slice(b"Eve,eve@x.com,1,lots\n"); // line 7: bad amount
    data.extend_from_slice(b",,,\n"); // line 8: blank, skipped
    data.extend_from_slice(b",,,7\n"); // line 9: nothing identifies it
    let p = b.file("leads.csv", &data);
    let s = b.import(&p, &[]).unwrap();
    assert_eq!(
        (s.rows_read, s.imported, s.rejected, s.blank_rows),
        (7, 1, 5, 1)
    );
    let lines: Vec<u64> = s.rejects.iter().map(|r| r.line).collect();
    assert_eq!(lines, [3, 5, 6, 7, 9]);
    assert!(s.rejects[1].reason.contains("3 cells but the header has 4"));
    assert!(s.rejects[2].reason.contains("not valid UTF-8"));
    assert!(s.rejects[3].reason.contains("\"lots\" is not an amount"));
    assert!(s.rejects[4].reason.contains("nothing identifies"));
    let reject_file = s.reject_file.clone().unwrap();
    assert_eq!(reject_file, b.dir.path().join("leads.rejects.csv"));
    let written = std::fs::read(&reject_file).unwrap();
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(&written[..]);
    assert_eq!(
        r.byte_headers().unwrap(),
        vec!["line", "reason", "Name", "Email", "Employees", "Amount"]
    );
    let rows: Vec<csv::ByteRecord> = r.byte_records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(&rows[0][0], b"3");
    assert_eq!(&rows[0][2], b"Bo\nBoss");
    assert_eq!(&rows[2][2], b"D\xFF", "original bytes are kept");
    assert_eq!(b.store.lead_count(), 1);
}

#[test]
fn a_dry_run_reports_everything_and_writes_nothing() {
    let b = book();
    let p = b.file(
        "dry.csv",
        b"Email,Employees\na@x.com,1\na@x.com,2\nb@x.com,x\n",
    );
    let s = b.run(&p, &[], true).unwrap();
    assert!(s.dry_run);
    assert_eq!((s.imported, s.merged, s.rejected), (1, 1, 1));
    assert_eq!(s.reject_file, None);
    assert!(b.store.is_empty());
    assert!(!b.dir.path().join("dry.rejects.csv").exists());
    // Without a book at all it still validates.
    let plan = ImportPlan::prepare(&p, &[]).unwrap();
    let s = plan
        .run(
            None,
            &ImportOptions {
                dry_run: true,
                now: NOW,
            },
            &mut |_| {},
        )
        .unwrap();
    assert_eq!((s.imported, s.merged, s.rejected), (1, 1, 1));
}

#[test]
fn duplicate_emails_merge_in_the_file_and_against_the_book() {
    let b = book();
    let p = b.file(
        "one.csv",
        b"Name,Email,Phone,Company,Score\nAna,Ana@Acme.com,,Acme,1\n,ana@acme.com ,555,,2\nBo,bo@gmail.com,,Bo Ltd,\n",
    );
    let s = b.import(&p, &[]).unwrap();
    assert_eq!((s.imported, s.merged, s.accounts_created), (2, 1, 2));
    let ana = b.store.find_lead("ana@acme.com").unwrap();
    assert_eq!((ana.name.as_str(), ana.phone.as_str()), ("Ana", "555"));
    assert_eq!(ana.attrs["Score"], AttrValue::Number(2.0));
    assert_eq!(b.store.account("acme").unwrap().unwrap().domain, "acme.com");
    assert_eq!(b.store.account("Bo Ltd").unwrap().unwrap().domain, "");
    let p2 = b.file(
        "two.csv",
        b"Email,Job Title,Score\nANA@acme.com,CTO,3\ncy@acme.com,CEO,1\n",
    );
    let s = b.import(&p2, &[]).unwrap();
    assert_eq!((s.imported, s.merged, s.accounts_created), (1, 1, 0));
    assert_eq!(b.store.lead_count(), 3);
    let ana2 = b.store.find_lead("ana@acme.com").unwrap();
    assert_eq!((ana2.id, ana2.title.as_str()), (ana.id, "CTO"));
    assert_eq!(ana2.attrs["Score"], AttrValue::Number(3.0));
}

#[test]
fn merging_works_across_batches() {
    let b = book();
    let mut data = String::from("Email,n\n");
    for i in 0..BATCH + 10 {
        data.push_str(&format!("p{i}@x.com,{i}\n"));
    }
    data.push_str("p3@x.com,-1\n");
    let s = b.import(&b.file("many.csv", data.as_bytes()), &[]).unwrap();
    assert_eq!((s.imported, s.merged), (BATCH as u64 + 10, 1));
    assert_eq!(b.store.lead_count(), BATCH + 10);
    let p3 = b.store.find_lead("p3@x.com").unwrap();
    assert_eq!(p3.attrs["n"], AttrValue::Number(-1.0));
}

/// An import that stops on a write error (here the keys lane's test-only panic on the email
/// `panics@lane.test`; a full disk alike) leaves no lead its email cannot find, and no mark:
/// the email keys trail the leads, and the importer puts them right before it returns.
#[test]
fn an_import_stopped_by_an_error_leaves_every_written_lead_findable() {
    let b = book();
    let p = b.file(
        "stops.csv",
        b"Email,Name\nann@x.com,Ann\npanics@lane.test,Pat\nzed@x.com,Zed\n",
    );
    let err = b
        .import(&p, &[])
        .expect_err("the write error stops the import");
    assert!(err.to_string().contains("stopped unexpectedly"), "{err}");
    assert!(!b.store.has_unfinished_import().unwrap());
    let leads = b.leads();
    assert!(!leads.is_empty(), "the leads lane wrote its batch");
    for lead in &leads {
        assert_eq!(
            b.store.lead_id_by_email(&lead.email).unwrap(),
            Some(lead.id),
            "{} is found by its email",
            lead.email
        );
    }
}

/// A mark left by an import whose repair failed (the book still opened) is put right before
/// the next import writes: that import's clean finish clears the mark, and with it any
/// chance of finding the earlier import's leads by email again.
#[test]
fn an_import_first_repairs_a_mark_an_earlier_one_left() {
    let b = book();
    b.store.mark_import_started().unwrap();
    let earlier = Lead {
        id: 7,
        name: "Eve".into(),
        email: "eve@x.com".into(),
        ..Lead::default()
    };
    let bytes = crate::store::codec::encode(&earlier);
    b.store.leads.insert(7u64.to_be_bytes(), bytes).unwrap();
    let p = b.file(
        "next.csv",
        b"Email,Name\nnew@x.com,New\neve@x.com,Eve Again\n",
    );
    let s = b.import(&p, &[]).unwrap();
    assert_eq!(
        (s.imported, s.merged),
        (1, 1),
        "the earlier lead is merged into"
    );
    assert_eq!(b.store.lead_id_by_email("eve@x.com").unwrap(), Some(7));
    assert!(!b.store.has_unfinished_import().unwrap());
}

#[test]
fn id_columns_identify_leads_without_email() {
    let b = book();
    let p = b.file(
        "ids.csv",
        b"Prospect ID,Lead Number,Lead Source,Country,Converted\nabc-1,1001,Google,India,1\nabc-2,1002,Olark Chat,,0\n",
    );
    let s = b.import(&p, &[]).unwrap();
    assert_eq!(
        (s.imported, s.key_column.as_deref()),
        (2, Some("Prospect ID"))
    );
    let names: Vec<String> = b.leads().into_iter().map(|l| l.name).collect();
    assert_eq!(names, ["Lead 1001", "Lead 1002"]);
    let first = &b.leads()[0];
    assert_eq!(
        (first.source.as_str(), first.country.as_str()),
        ("Google", "India")
    );
    let p = b.file(
        "ids2.csv",
        b"Prospect ID,Lead Number,Lead Source,Country,Converted\nABC-1,1001,Google,India,0\nabc-3,1003,Google,,1\n",
    );
    let s = b.import(&p, &[]).unwrap();
    assert_eq!((s.imported, s.merged), (1, 1));
    assert_eq!(b.store.lead_count(), 3);
    assert_eq!(b.leads()[0].attrs["Converted"], AttrValue::Number(0.0));
}

#[test]
fn unknown_statuses_start_in_the_first_stage_and_keep_the_raw_value() {
    let b = book();
    let p = b.file(
        "st.csv",
        b"Email,Lead Status\na@x.com,Closed - Converted\nb@x.com,Hot!\nc@x.com,Hot!\nd@x.com,ATTEMPTED_TO_CONTACT\n",
    );
    let s = b.import(&p, &[]).unwrap();
    assert_eq!(s.unknown_statuses, [("Hot!".to_string(), 2)].into());
    let stage = |e: &str| b.store.find_lead(e).unwrap().stage;
    assert_eq!(stage("a@x.com"), "Won");
    assert_eq!(stage("d@x.com"), "Contacted");
    let hot = b.store.find_lead("b@x.com").unwrap();
    assert_eq!(hot.stage, "New");
    assert_eq!(hot.attrs["Lead Status"], AttrValue::Text("Hot!".into()));
}

#[test]
fn attribute_types_are_inferred_per_column() {
    let b = book();
    let p = b.file(
        "t.csv",
        b"Email,Visits,Opted In,Mixed,Signed Up,Zip\na@x.com,3,Yes,Yes,2024-03-05,02134\nb@x.com,,no,Select,2024-03-06 10:00,10001\n",
    );
    let s = b.import(&p, &[]).unwrap();
    let kinds: Vec<(&str, &str)> = s
        .attributes
        .iter()
        .map(|(n, k)| (n.as_str(), k.name()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Visits", "number"),
            ("Opted In", "bool"),
            ("Mixed", "text"),
            ("Signed Up", "date"),
            ("Zip", "text")
        ]
    );
    let bo = b.store.find_lead("b@x.com").unwrap();
    assert!(!bo.attrs.contains_key("Visits"), "empty cells are missing");
    assert_eq!(bo.attrs["Opted In"], AttrValue::Bool(false));
    assert_eq!(bo.attrs["Mixed"], AttrValue::Text("Select".into()));
}
