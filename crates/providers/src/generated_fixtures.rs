//! The provider setup files in `fixtures/` are generated from the World; these tests fail when
//! they go stale (regenerate with the `mock-idp export …` command each message names).

use crate::World;

fn committed(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|err| panic!("{}: {err}", full.display()))
}

#[test]
fn zitadel_setup_notes_match_the_world() {
    let world = World::default_world().unwrap();
    assert_eq!(
        committed("zitadel/setup-demo.md"),
        crate::zitadel::setup_notes(world.realm("demo").unwrap()),
        "stale: cargo run -p mock-idp -- export zitadel-setup --out fixtures/zitadel/setup-demo.md"
    );
}

#[test]
fn wso2_setup_notes_match_the_world() {
    let world = World::default_world().unwrap();
    assert_eq!(
        committed("wso2/setup-demo.md"),
        crate::wso2::setup_notes(world.realm("demo").unwrap()),
        "stale: cargo run -p mock-idp -- export wso2-setup --out fixtures/wso2/setup-demo.md"
    );
}

#[test]
fn setup_notes_cover_every_user_and_client() {
    let world = World::default_world().unwrap();
    let demo = world.realm("demo").unwrap();
    for notes in [crate::zitadel::setup_notes(demo), crate::wso2::setup_notes(demo)] {
        for user in demo.users.keys() {
            assert!(notes.contains(&format!("`{user}`")), "{user} missing");
        }
    }
    let wso2 = crate::wso2::setup_notes(demo);
    for client in demo.clients.keys() {
        assert!(
            wso2.contains(&format!("\"ext_param_client_id\":\"{client}\"")),
            "{client} missing"
        );
    }
}
