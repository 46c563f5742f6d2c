//! The documentation stays self-contained and true: every relative link in README.md and docs/
//! resolves (files and `#anchors`), nothing cites a file outside the repository, and the README's
//! table of environment variables lists every variable the binary reads.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

/// README.md and every Markdown file under docs/.
fn documents() -> Vec<PathBuf> {
    let root = repo_root();
    let mut docs = vec![root.join("README.md")];
    let mut more: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("read docs/")
        .map(|e| e.expect("a docs/ entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    more.sort();
    docs.extend(more);
    docs
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The lines of a Markdown text outside fenced code blocks, with their line numbers.
fn prose_lines(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

/// Removes inline code spans, so a link shown as code is not taken for a link.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for c in line.chars() {
        if c == '`' {
            in_code = !in_code;
        } else if !in_code {
            out.push(c);
        }
    }
    out
}

/// The targets of inline links `[text](target)` and reference definitions `[id]: target`.
fn link_targets(line: &str) -> Vec<String> {
    let line = without_code_spans(line);
    let mut targets = Vec::new();
    let mut rest = line.as_str();
    while let Some(i) = rest.find("](") {
        let after = &rest[i + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end].split_whitespace().next().unwrap_or("");
        targets.push(target.trim_matches(['<', '>']).to_string());
        rest = &after[end..];
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') {
        if let Some((_, target)) = trimmed.split_once("]: ") {
            targets.push(target.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, links reduced to their text, punctuation other
/// than `-` and `_` dropped, spaces to `-`.
fn slug(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    // `[text](url)` → `text`
    while let Some(open) = rest.find('[') {
        let Some(close) = rest[open..].find("](").map(|c| open + c) else {
            break;
        };
        let Some(end) = rest[close..].find(')').map(|e| close + e) else {
            break;
        };
        text.push_str(&rest[..open]);
        text.push_str(&rest[open + 1..close]);
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    text.trim()
        .chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Every anchor a Markdown file offers: its headings' slugs, numbered when repeated.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    for (_, line) in prose_lines(text) {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[hashes..]);
        let mut anchor = base.clone();
        let mut n = 0;
        while seen.contains(&anchor) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
        seen.insert(anchor);
    }
    seen
}

#[test]
fn anchors_follow_githubs_rules() {
    assert_eq!(
        slug(" Writes (SQLite and PostgreSQL)"),
        "writes-sqlite-and-postgresql"
    );
    assert_eq!(
        slug(" The native API (`/v1`): the contract"),
        "the-native-api-v1-the-contract"
    );
    assert_eq!(slug(" See [the API](api.md) — now"), "see-the-api--now");
    let a = anchors("# A\n\n```\n# not a heading\n```\n## A\n#hashtag\n");
    assert_eq!(a, HashSet::from(["a".to_string(), "a-1".to_string()]));
}

#[test]
fn every_link_in_the_readme_and_docs_resolves() {
    let root = repo_root();
    let mut broken = Vec::new();
    let mut checked = 0;
    for doc in documents() {
        let text = read(&doc);
        let dir = doc.parent().expect("a parent directory");
        let name = doc
            .strip_prefix(&root)
            .unwrap_or(&doc)
            .display()
            .to_string();
        for (line_no, line) in prose_lines(&text) {
            for target in link_targets(line) {
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (path, anchor) = match target.split_once('#') {
                    Some((p, a)) => (p, Some(a)),
                    None => (target.as_str(), None),
                };
                let file = if path.is_empty() {
                    doc.clone()
                } else {
                    dir.join(path)
                };
                let Ok(file) = file.canonicalize() else {
                    broken.push(format!("{name}:{line_no}: {target}: no such file"));
                    continue;
                };
                if !file.starts_with(&root) {
                    broken.push(format!(
                        "{name}:{line_no}: {target}: outside the repository"
                    ));
                    continue;
                }
                if let Some(anchor) = anchor {
                    if file.extension().is_none_or(|e| e != "md") {
                        broken.push(format!(
                            "{name}:{line_no}: {target}: anchor into a non-Markdown file"
                        ));
                    } else if !anchors(&read(&file)).contains(anchor) {
                        broken.push(format!("{name}:{line_no}: {target}: no heading #{anchor}"));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(
        checked > 20,
        "only {checked} links found: is the parser right?"
    );
}

#[test]
fn the_docs_cite_no_file_outside_the_repository() {
    // The contract, the design notes and the dialect mappings once lived next to the repository.
    let outside = [
        "API.md",
        "DESIGN.md",
        "DIALECTS.md",
        "/work/",
        "../shared",
        "seeds/",
    ];
    let mut found = Vec::new();
    for doc in documents() {
        for (i, line) in read(&doc).lines().enumerate() {
            for name in outside {
                if line.contains(name) {
                    found.push(format!("{}:{}: {name}: {line}", doc.display(), i + 1));
                }
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Every `[env: NAME...]` of every command's `--help`.
fn variables_in_help() -> HashSet<String> {
    let mut vars = HashSet::new();
    let commands: &[&[&str]] = &[
        &[],
        &["serve"],
        &["migrate"],
        &["tenants", "create"],
        &["keys", "create"],
        &["keys", "list"],
        &["keys", "revoke"],
        &["openapi"],
        &["seed-demo"],
    ];
    for args in commands {
        let out = Command::new(env!("CARGO_BIN_EXE_clientele"))
            .args(*args)
            .arg("--help")
            .output()
            .expect("run clientele --help");
        assert!(out.status.success(), "{args:?} --help failed");
        let help = String::from_utf8_lossy(&out.stdout).into_owned();
        for part in help.split("[env: ").skip(1) {
            let inside = part.split(']').next().unwrap_or("");
            for word in inside.split(|c: char| !(c.is_ascii_uppercase() || c == '_')) {
                if word.len() > 3 && word.contains('_') {
                    vars.insert(word.to_string());
                }
            }
        }
    }
    vars
}

#[test]
fn the_readme_lists_every_environment_variable_the_binary_reads() {
    let vars = variables_in_help();
    for expected in [
        "CLIENTELE_DATABASE_URL",
        "DATABASE_URL",
        "CLIENTELE_REDIS_PREFIX",
    ] {
        assert!(
            vars.contains(expected),
            "{expected} not found in --help: {vars:?}"
        );
    }
    let readme = read(&repo_root().join("README.md"));
    let mut missing: Vec<&String> = vars
        .iter()
        .filter(|v| !readme.contains(&format!("| `{v}` |")))
        .collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "README.md's variable table lacks {missing:?}"
    );
}
