fn main() -> std::process::ExitCode {
    parasol::run(std::env::args_os())
}
