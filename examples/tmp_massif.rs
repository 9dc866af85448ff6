fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let db = sled::Config::new()
        .path(&args[0])
        .cache_capacity(64 << 20)
        .open()
        .unwrap();
    let t = db.open_tree("leads").unwrap();
    println!("{}", t.first().unwrap().is_some());
}
