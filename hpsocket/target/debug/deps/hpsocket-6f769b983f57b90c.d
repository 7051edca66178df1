/work/main/hpsocket/target/debug/deps/hpsocket-6f769b983f57b90c.d: src/lib.rs

/work/main/hpsocket/target/debug/deps/libhpsocket-6f769b983f57b90c.rlib: src/lib.rs

/work/main/hpsocket/target/debug/deps/libhpsocket-6f769b983f57b90c.rmeta: src/lib.rs

src/lib.rs:
