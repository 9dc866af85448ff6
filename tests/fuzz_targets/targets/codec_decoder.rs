//! Fuzz target: the stored-value decoder refuses arbitrary bytes without panicking or
//! allocating what a damaged length prefix claims.
#![no_main]

use leadq::core::model::Lead;
use leadq::core::outcome::OutcomeRecord;
use leadq::store::codec;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(lead) = codec::decode::<Lead>(bytes) {
        // Whatever decodes re-encodes, and decodes again to the same bytes.
        let encoded = codec::encode(&lead);
        let again: Lead = codec::decode(&encoded).expect("a re-encoded lead decodes");
        assert_eq!(codec::encode(&again), encoded);
    }
    let _ = codec::decode::<OutcomeRecord>(bytes);
    let _ = codec::decode::<Vec<String>>(bytes);
    let _ = codec::decode::<String>(bytes);
});
