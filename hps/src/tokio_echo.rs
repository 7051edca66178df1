//! The tokio peer of `hps bench`: a plain tokio echo server on one thread (current-thread
//! runtime, one task per connection), reading with the same buffer size as ours.

use std::io::Write;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub fn run(port: u16, buf: usize) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("READY {}", listener.local_addr()?.port());
        std::io::stdout().flush()?;
        loop {
            let (mut s, _) = listener.accept().await?;
            tokio::spawn(async move {
                let mut b = vec![0u8; buf];
                loop {
                    let n = match s.read(&mut b).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if s.write_all(&b[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}
