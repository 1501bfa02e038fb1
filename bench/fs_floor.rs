//! The file-system floor parasol is compared with: the least work that
//! produces (or reads) the same files.
//!
//! - `fs-floor list DIR`: prints `size<TAB>path` for every file under DIR
//!   (setup, not timed);
//! - `fs-floor write LIST OUT`: creates those files, of those sizes, under
//!   OUT with `std::fs::write` (the floor for generating into an empty folder);
//! - `fs-floor read DIR`: reads every file under DIR (the floor for
//!   regenerating onto, or checking, an unchanged tree).

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("a readable folder") {
            let entry = entry.expect("a folder entry");
            let path = entry.path();
            if entry.file_type().expect("a file type").is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["list", dir] => {
            let dir = Path::new(dir);
            for path in files(dir) {
                let size = std::fs::metadata(&path).expect("metadata").len();
                let relative = path.strip_prefix(dir).expect("under DIR");
                println!("{size}\t{}", relative.display());
            }
        }
        ["write", list, out] => {
            let list = std::fs::read_to_string(list).expect("a list");
            let out = Path::new(out);
            let filler = vec![b'x'; 1 << 20];
            for line in list.lines() {
                let (size, path) = line.split_once('\t').expect("size<TAB>path");
                let size: usize = size.parse().expect("a size");
                let path = out.join(path);
                std::fs::create_dir_all(path.parent().expect("a parent")).expect("a folder");
                let mut content = Vec::with_capacity(size);
                while content.len() < size {
                    let n = (size - content.len()).min(filler.len());
                    content.extend_from_slice(&filler[..n]);
                }
                std::fs::write(&path, content).expect("a written file");
            }
        }
        ["read", dir] => {
            let mut total = 0;
            for path in files(Path::new(dir)) {
                total += std::fs::read(&path).expect("a readable file").len();
            }
            println!("{total}");
        }
        _ => {
            eprintln!("usage: fs-floor list DIR | write LIST OUT | read DIR");
            std::process::exit(2);
        }
    }
}
