//! OpenAPI → WIT against the real WIT parser: the potato-api document gives exactly the
//! hand-written `potato:api@0.1.1` package (every type and function, structurally), and bad
//! documents get errors that name the place.

use potato_api_client::wit::{Options, WitError, generate};
use std::collections::BTreeMap;
use wit_parser::{Resolve, Type, TypeDefKind, TypeId};

/// Every interface of the package `text` defines, as `name -> [type and function lines]`: the
/// structure only (names, fields, cases, parameters, results), not docs, order or stability.
fn structure(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut resolve = Resolve::default();
    let package = resolve.push_source("package.wit", text).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
    let mut out = BTreeMap::new();
    for (name, id) in &resolve.packages[package].interfaces {
        let interface = &resolve.interfaces[*id];
        let mut lines: Vec<String> =
            interface.types.iter().map(|(name, id)| format!("type {name} = {}", definition(&resolve, *id))).collect();
        for (fname, f) in &interface.functions {
            let params: Vec<String> = f.params.iter().map(|p| format!("{}: {}", p.name, ty(&resolve, &p.ty))).collect();
            let result = f.result.as_ref().map_or_else(String::new, |r| ty(&resolve, r));
            lines.push(format!("func {fname}({}) -> {result}", params.join(", ")));
        }
        lines.sort();
        out.insert(name.clone(), lines);
    }
    out
}

fn definition(resolve: &Resolve, id: TypeId) -> String {
    match &resolve.types[id].kind {
        TypeDefKind::Record(r) => {
            let fields: Vec<String> = r.fields.iter().map(|f| format!("{}: {}", f.name, ty(resolve, &f.ty))).collect();
            format!("record {{ {} }}", fields.join(", "))
        }
        TypeDefKind::Enum(e) => {
            let cases: Vec<&str> = e.cases.iter().map(|c| c.name.as_str()).collect();
            format!("enum {{ {} }}", cases.join(", "))
        }
        TypeDefKind::Variant(v) => {
            let cases: Vec<String> = v
                .cases
                .iter()
                .map(|c| match &c.ty {
                    Some(t) => format!("{}({})", c.name, ty(resolve, t)),
                    None => c.name.clone(),
                })
                .collect();
            format!("variant {{ {} }}", cases.join(", "))
        }
        TypeDefKind::Type(t) => ty(resolve, t),
        other => format!("{other:?}"),
    }
}

fn ty(resolve: &Resolve, t: &Type) -> String {
    match t {
        Type::Id(id) => {
            let def = &resolve.types[*id];
            match (&def.name, &def.kind) {
                (Some(name), _) => name.clone(),
                (None, TypeDefKind::List(t)) => format!("list<{}>", ty(resolve, t)),
                (None, TypeDefKind::Option(t)) => format!("option<{}>", ty(resolve, t)),
                (None, TypeDefKind::Tuple(t)) => {
                    format!("tuple<{}>", t.types.iter().map(|t| ty(resolve, t)).collect::<Vec<_>>().join(", "))
                }
                (None, TypeDefKind::Result(r)) => format!(
                    "result<{}, {}>",
                    r.ok.as_ref().map_or("_".into(), |t| ty(resolve, t)),
                    r.err.as_ref().map_or("_".into(), |t| ty(resolve, t))
                ),
                (None, other) => format!("{other:?}"),
            }
        }
        primitive => format!("{primitive:?}").to_lowercase(),
    }
}

#[test]
fn the_potato_document_gives_the_published_0_1_1_package_type_for_type() {
    // The repository's `wit/deps/potato-api/api.wit` is `probe-host wit`'s output (a host test
    // checks it byte for byte); here, that the mapping keeps it type-identical to the
    // `potato:api@0.1.1` every existing probe was built against: the package as it was
    // written by hand before it was generated, kept as a snapshot of that published version.
    let generated = generate(potato_api_client::OPENAPI_DOCUMENT, &Options::potato()).expect("maps");
    let committed = include_str!("potato-api-0.1.1.wit");
    let (ours, theirs) = (structure(&generated.text), structure(committed));
    for (interface, lines) in &theirs {
        let generated_lines =
            ours.get(interface).unwrap_or_else(|| panic!("no interface {interface}:\n{}", generated.text));
        let missing: Vec<_> = lines.iter().filter(|l| !generated_lines.contains(l)).collect();
        let extra: Vec<_> = generated_lines.iter().filter(|l| !lines.contains(l)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "interface {interface}: missing {missing:#?}\nextra {extra:#?}\ngenerated:\n{}",
            generated.text
        );
    }
    assert_eq!(ours.keys().collect::<Vec<_>>(), theirs.keys().collect::<Vec<_>>());
}

/// A document with `paths` and `components/schemas` given as YAML fragments.
fn document(paths: &str, schemas: &str) -> String {
    let indent = |text: &str, n: usize| text.lines().map(|l| format!("{}{l}\n", " ".repeat(n))).collect::<String>();
    format!(
        "openapi: 3.0.3\ninfo: {{ title: t, version: '1' }}\npaths:\n{}components:\n  schemas:\n{}",
        indent(paths, 2),
        indent(schemas, 4)
    )
}

fn options() -> Options {
    Options { package: "test:api@1.0.0".into(), interface: "calls".into(), pagination: None, allow_methods: vec![] }
}

fn get(path: &str, op: &str, response: &str) -> String {
    format!(
        "{path}:\n  get:\n    operationId: {op}\n    responses:\n      '200':\n        description: ok\n        content:\n          application/json:\n            schema: {response}\n"
    )
}

#[test]
fn bad_documents_get_errors_that_name_the_place() {
    let swagger = "swagger: '2.0'\ninfo: { title: t, version: '1' }\npaths: {}\n";
    assert_eq!(generate(swagger, &options()), Err(WitError::NotOpenApi3("Swagger 2.0".into())));
    assert!(matches!(generate("openapi: 2.5.0\n", &options()), Err(WitError::NotOpenApi3(_))));
    assert!(matches!(generate("{ not: [yaml", &options()), Err(WitError::Parse(_))));

    let dangling = document(&get("/a", "getA", "{ $ref: '#/components/schemas/Missing' }"), "A: { type: string }");
    let err = generate(&dangling, &options()).unwrap_err();
    assert!(err.to_string().contains("#/paths/~1a/get/responses/200/content/application~1json/schema"), "{err}");
    assert!(err.to_string().contains("#/components/schemas/Missing"), "{err}");

    // Two operations whose names meet after kebab-casing.
    let twins = document(
        &(get("/a", "listFarms", "{ type: string }") + &get("/b", "list_farms", "{ type: string }")),
        "A: { type: string }",
    );
    let err = generate(&twins, &options()).unwrap_err();
    assert!(matches!(&err, WitError::Collision { name, .. } if name == "list-farms"), "{err}");
    assert!(err.to_string().contains("#/paths/~1a/get") && err.to_string().contains("#/paths/~1b/get"), "{err}");

    // Enum values that meet.
    let cases =
        document(&get("/a", "getA", "{ $ref: '#/components/schemas/E' }"), "E: { type: string, enum: [a_b, a-b] }");
    let err = generate(&cases, &options()).unwrap_err();
    assert!(matches!(&err, WitError::EnumCollision { case, .. } if case == "a-b"), "{err}");

    // A schema taking a name the host defines.
    let reserved = document(
        &get("/a", "getA", "{ $ref: '#/components/schemas/ApiError' }"),
        "ApiError: { type: object, properties: { x: { type: string } } }",
    );
    assert!(matches!(generate(&reserved, &options()), Err(WitError::Reserved { .. })));

    assert!(matches!(
        generate(&dangling, &Options { package: "no-version".into(), ..options() }),
        Err(WitError::BadPackage(_))
    ));
}

#[test]
fn keywords_recursion_and_free_form_schemas_still_make_valid_wit() {
    let schemas = "\
Node:
  type: object
  required: [type, children]
  properties:
    type: { type: string }
    list: { type: integer, format: int32 }
    children:
      type: array
      items: { $ref: '#/components/schemas/Node' }
    extra: { type: object }
    labels: { type: object, additionalProperties: { type: integer, format: int64 } }
";
    let generated =
        generate(&document(&get("/nodes", "getNode", "{ $ref: '#/components/schemas/Node' }"), schemas), &options())
            .expect("maps");
    let s = structure(&generated.text);
    let types = &s["types"];
    // Keywords are escaped (and parse); the recursive list travels as JSON text; the free-form
    // object too; a map is a list of pairs.
    assert!(
        types.contains(&"type node = record { type: string, list: option<s32>, children: list<string>, extra: option<string>, labels: option<list<tuple<string, s64>>> }".to_string()),
        "{types:#?}\n{}",
        generated.text
    );
    assert!(s["calls"].contains(&"func get-node() -> result<node, api-error>".to_string()), "{:#?}", s["calls"]);
}

#[test]
fn a_structurally_different_document_maps_rule_by_rule() {
    // The second target of the tests (tests/openapi/shop.yaml).
    let generated = generate(probe_host_test_support::SHOP_DOCUMENT, &probe_host_test_support::shop_options())
        .unwrap_or_else(|e| panic!("{e}"));
    let s = structure(&generated.text);
    let expect = |interface: &str, line: &str| {
        assert!(s[interface].contains(&line.to_string()), "no {line:?} in {:#?}\n{}", s[interface], generated.text);
    };
    // allOf merged (the referenced base's fields and the member's), required kept; a nullable
    // enum is an option; date-time a timestamp; oneOf with a discriminator a variant named by
    // the mapping's keys.
    expect(
        "types",
        "type item = record { id: s64, kind: kind, price: price, state: option<item-state>, seen: option<timestamp>, stock: list<item-stock-item> }",
    );
    expect("types", "type item-stock-item = record { warehouse: string, counts: list<tuple<string, u32>> }");
    expect("types", "type store-address = record { city: string, geo: option<store-address-geo> }");
    expect(
        "types",
        "type store = record { id: s64, name: string, address: store-address, opening: option<list<tuple<string, string>>> }",
    );
    expect("types", "type query = record { text: option<string>, kinds: option<list<kind>> }");
    // Only what the exposed operations reach: the error schema of a 404 is not a type.
    assert!(!generated.text.contains("problem"), "{}", generated.text);
    // A parameter by reference.
    expect("shop", "func get-store(store-id: s64) -> result<store, api-error>");
    expect("types", "type item-state = enum { new, used }");
    expect("types", "type price = variant { fixed(fixed), per-kilo(per-kilo) }");
    expect("types", "type fixed = record { mode: string, cents: u32 }");
    expect("types", "type find-items-by-store-response = record { items: list<item>, next: option<string> }");
    // Path, then query, then header; operationIds with spaces; a POST allowed by operationId,
    // with its body last; a DELETE not allowed is left out; no content is `result<_, …>`; an
    // operation without an operationId is named from method and path.
    expect(
        "shop",
        "func find-items-by-store(store-id: s64, limit: option<u32>, cursor: option<string>, x-trace: option<string>) -> result<find-items-by-store-response, api-error>",
    );
    expect("shop", "func search(body: query) -> result<list<item>, api-error>");
    expect("shop", "func get-ping() -> result<_, api-error>");
    expect(
        "shop",
        "func find-all-items-by-store(store-id: s64, x-trace: option<string>, max-pages: u32) -> result<list<item>, api-error>",
    );
    assert!(!generated.text.contains("forget"), "a DELETE not allowed is left out:\n{}", generated.text);
}

#[test]
fn the_probe_world_imports_a_generated_package_and_parses_with_it() {
    let text = document(
        &get("/a", "getA", "{ $ref: '#/components/schemas/A' }"),
        "A: { type: object, properties: { n: { type: integer } } }",
    );
    let generated = generate(&text, &options()).expect("maps");
    let world = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../wit/probe.wit")).expect("world");
    let world = generated.rewrite_world(&world, "potato:api/potatoes@0.1.1").expect("rewritten");
    assert!(world.contains("import test:api/calls@1.0.0;"), "{world}");
    let mut resolve = Resolve::default();
    resolve.push_source("deps/api.wit", &generated.text).expect("the package parses");
    let probe = resolve.push_source("probe.wit", &world).unwrap_or_else(|e| panic!("{e:#}\n{world}"));
    let world_id = resolve.select_world(&[probe], Some("probe")).expect("the probe world");
    let imports: Vec<String> = resolve.worlds[world_id].imports.keys().map(|k| resolve.name_world_key(k)).collect();
    assert!(imports.contains(&"test:api/calls@1.0.0".to_string()), "{imports:?}");
    assert!(generated.rewrite_world("world w {}", "potato:api/potatoes@0.1.1").is_err());
}
