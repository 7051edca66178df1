/work/main/hpsocket/target/debug/deps/hpsocket-b99049b5df23d7d5.d: src/lib.rs

/work/main/hpsocket/target/debug/deps/libhpsocket-b99049b5df23d7d5.rlib: src/lib.rs

/work/main/hpsocket/target/debug/deps/libhpsocket-b99049b5df23d7d5.rmeta: src/lib.rs

src/lib.rs:
