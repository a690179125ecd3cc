//! Argon2's block memory.
//!
//! On Linux it is an anonymous mapping. The kernel hands out zeroed pages, so a fresh arena is not
//! written twice before argon2 fills it: a `Vec` of blocks would be zeroed again by the program,
//! 64 MiB of writes (4 ms here) on every hash that cannot reuse an arena, which is every hash under
//! the machine budget. It starts on a 2 MiB boundary, so all of it can take huge pages
//! (`hugepages::advise`), and drop unmaps it at once.
//! Elsewhere it is a `Vec`.

use argon2_rust::__internal::Block;

#[cfg(target_os = "linux")]
pub struct Arena {
    /// The first block, 2 MiB-aligned inside the mapping.
    blocks: std::ptr::NonNull<Block>,
    len: usize,
    /// The whole mapping, for munmap.
    base: *mut libc::c_void,
    mapped: usize,
}

// SAFETY: the arena owns its mapping; nothing else points into it.
#[cfg(target_os = "linux")]
unsafe impl Send for Arena {}

#[cfg(target_os = "linux")]
impl Arena {
    const HUGE: usize = 2 << 20;

    /// `len` zeroed blocks, or `None` when the system has no memory for them.
    pub fn new(len: usize) -> Option<Arena> {
        let bytes = len.checked_mul(std::mem::size_of::<Block>())?;
        let mapped = bytes.checked_add(Self::HUGE)?;
        // SAFETY: a fresh private anonymous mapping; nothing else refers to it.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return None;
        }
        // `start..start + bytes` lies inside the mapping: at most HUGE - 1 bytes of alignment,
        // and HUGE bytes spare.
        let start = (base as usize).next_multiple_of(Self::HUGE);
        let blocks = std::ptr::NonNull::new(start as *mut Block)?;
        let mut arena = Arena {
            blocks,
            len,
            base,
            mapped,
        };
        crate::hugepages::advise(arena.as_mut_slice());
        Some(arena)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn as_mut_slice(&mut self) -> &mut [Block] {
        // SAFETY: `len` blocks of zero-initialised (then only ever written as blocks) memory,
        // aligned beyond Block's 64 bytes, owned by self; any bit pattern is a valid Block.
        unsafe { std::slice::from_raw_parts_mut(self.blocks.as_ptr(), self.len) }
    }
}

#[cfg(target_os = "linux")]
impl Drop for Arena {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`; no slice of it outlives self.
        unsafe {
            libc::munmap(self.base, self.mapped);
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub struct Arena(Vec<Block>);

#[cfg(not(target_os = "linux"))]
impl Arena {
    /// `len` zeroed blocks, or `None` when the system has no memory for them.
    pub fn new(len: usize) -> Option<Arena> {
        let mut v = Vec::new();
        v.try_reserve_exact(len).ok()?;
        v.resize(len, Block([0; 128]));
        Some(Arena(v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn as_mut_slice(&mut self) -> &mut [Block] {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arena_is_zeroed_aligned_and_writable_end_to_end() {
        let mut a = Arena::new(3000).unwrap();
        assert_eq!(a.len(), 3000);
        let s = a.as_mut_slice();
        assert_eq!(s.len(), 3000);
        assert_eq!(s.as_ptr() as usize % 64, 0);
        assert!(s.iter().all(|b| b.0.iter().all(|&w| w == 0)));
        s[0].0[0] = 1;
        s[2999].0[127] = 2;
        assert_eq!((s[0].0[0], s[2999].0[127]), (1, 2));
    }
}
