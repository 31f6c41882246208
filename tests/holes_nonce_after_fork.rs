//! Issue 13, item 14: the per-thread generator of nonces and read ids was not reseeded after
//! `fork`, so a child of an embedding application continued the parent's ChaCha20 stream
//! and produced the very nonces the parent produced next: two AES-GCM messages under one key
//! and one nonce. The generator now remembers the process id it was seeded in and reseeds
//! from the operating system when it runs in another process.
//!
//! One test in this binary on purpose: it forks, and a fork is only simple when no other
//! test thread runs. The child touches nothing that allocates or locks: it draws bytes from
//! the generator (already set up in this thread), writes them to a pipe and `_exit`s.
//! (`libc` is a dev-dependency for `fork`, `pipe`, `waitpid` and `_exit`: the library itself
//! stays free of `unsafe`, and `std` has no `fork`.)

use platevault::crypto::seal::fast_random;

/// Bytes drawn per side: a nonce's worth several times over, and a read id.
const DRAW: usize = 64;

#[test]
fn a_forked_child_draws_other_nonces_and_read_ids_than_its_parent() {
    // Warm this thread's generator, as an application that ingested before forking would.
    let mut warm = [0u8; 32];
    fast_random(&mut warm).expect("random");

    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid array of two descriptors for pipe(2) to fill.
    #[allow(unsafe_code)]
    let rc = unsafe { libc::pipe(fds.as_mut_ptr()) };
    assert_eq!(rc, 0, "pipe");
    let (read_fd, write_fd) = (fds[0], fds[1]);

    // SAFETY: the child only calls the generator (no allocation: its state exists already),
    // write(2) and _exit(2); see the module documentation.
    #[allow(unsafe_code)]
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let mut out = [0u8; DRAW + 16];
        let ok = fast_random(&mut out[..DRAW]).is_ok();
        let id = platevault::crypto::seal::random_read_id();
        let code = match (ok, id) {
            (true, Ok(id)) => {
                out[DRAW..].copy_from_slice(&id.0);
                // SAFETY: writes our own buffer to the pipe's write end, then exits without
                // running the parent's destructors or test harness.
                #[allow(unsafe_code)]
                let n = unsafe { libc::write(write_fd, out.as_ptr().cast(), out.len()) };
                if n == out.len() as isize { 0 } else { 2 }
            }
            _ => 1,
        };
        // SAFETY: ends the child at once.
        #[allow(unsafe_code)]
        unsafe {
            libc::_exit(code)
        };
    }

    // The parent draws what its own stream gives next.
    let mut parent = [0u8; DRAW + 16];
    fast_random(&mut parent[..DRAW]).expect("random");
    parent[DRAW..].copy_from_slice(&platevault::crypto::seal::random_read_id().expect("id").0);

    let mut child = [0u8; DRAW + 16];
    let mut got = 0usize;
    while got < child.len() {
        // SAFETY: reads into the unfilled rest of our own buffer.
        #[allow(unsafe_code)]
        let n = unsafe { libc::read(read_fd, child[got..].as_mut_ptr().cast(), child.len() - got) };
        assert!(n > 0, "the child wrote {got} bytes, then {n}");
        got += n as usize;
    }
    let mut status = 0i32;
    // SAFETY: waits for our own child; closes our own descriptors.
    #[allow(unsafe_code)]
    unsafe {
        assert_eq!(libc::waitpid(pid, &mut status, 0), pid);
        libc::close(read_fd);
        libc::close(write_fd);
    }
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "the child failed: status {status}"
    );
    assert_ne!(
        child[..DRAW],
        parent[..DRAW],
        "the child repeated the parent's nonce stream"
    );
    assert_ne!(
        child[DRAW..],
        parent[DRAW..],
        "the child repeated the parent's read id"
    );
    // And not merely shifted: no 12-byte nonce of one side appears in the other's stream.
    for w in child[..DRAW].windows(12) {
        assert!(
            !parent[..DRAW].windows(12).any(|p| p == w),
            "a nonce-sized window of the child's stream is in the parent's"
        );
    }
}
