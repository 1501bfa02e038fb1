// jemalloc: a large spec makes millions of small allocations (the parse
// tree, template values, manifest entries) that glibc's allocator served
// slowly and left fragmented (README "Dependencies").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    parasol::run(std::env::args_os())
}
