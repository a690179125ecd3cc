//! `parseJson`'s plan: which text `JSON.parse` gets, slice by slice, on the JS thread.
//!
//! A container is split when its elements cannot go in one slice: its elements are cut into runs
//! at the first element boundary past half the slice size, and a split child is opened and closed
//! around its own runs. Containers that fit stay inside their parent's runs, so most of the text is
//! parsed by `JSON.parse` in runs of about the slice size. A single element larger than a slice (a
//! 50 MB string) is one run. Cuts are at commas and brackets, so every run starts and ends on an
//! ASCII byte outside a string: decoding a run as UTF-8 gives exactly that part of the whole text.
//!
//! The plan is built in one pass with a frame per open container; a container learns that it is
//! split only when it closes (or when a run is cut), so split containers keep their entries in a
//! node, and the nodes are written out in document order at the end, without recursion.

use super::scan::{scan, Kind, Stop, Visitor};
use crate::pool::TaskState;

/// One step of a plan, as the JS side reads it: `[op, a, b]` triples of numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    /// The whole document `a..b`: one `JSON.parse`.
    Value = 0,
    /// Open an array (its `[` at `a`).
    Array = 1,
    /// Open an object (its `{` at `a`).
    Object = 2,
    /// Close the innermost open container (its bracket at `a`).
    Close = 3,
    /// Array elements `a..b` (comma-separated, no brackets): append each.
    Items = 4,
    /// Object members `a..b` (`"k":v,...`, no braces): define each.
    Members = 5,
    /// The key token `a..b` (quotes included) of the member whose value is the next container.
    Key = 6,
}

/// A plan: `ops` as `[op, a, b]` triples, and the depth of the deepest split container.
#[derive(Debug, Default)]
pub struct Plan {
    pub ops: Vec<f64>,
    pub split_depth: usize,
}

enum Entry {
    Run(usize, usize),
    /// A split child, with the key token it is the value of (objects only).
    Child(u32, Option<(usize, usize)>),
}

struct Node {
    kind: Kind,
    open: usize,
    close: usize,
    entries: Vec<Entry>,
}

struct Frame {
    kind: Kind,
    start: usize,
    /// Where the current run of elements starts.
    run_start: usize,
    /// Where the current element starts (after the `[` or the last comma).
    element_start: usize,
    /// Elements completed in the current run.
    in_run: u32,
    /// The last element was a split container: the next run starts after the next comma.
    after_child: bool,
    key: (usize, usize),
    node: Option<u32>,
}

struct Planner {
    /// Cut a run at the first comma at least this far from its start.
    cut: usize,
    frames: Vec<Frame>,
    nodes: Vec<Node>,
    root: Option<u32>,
}

impl Planner {
    fn node_of(nodes: &mut Vec<Node>, frame: &mut Frame) -> u32 {
        if let Some(n) = frame.node {
            return n;
        }
        let n = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
        nodes.push(Node {
            kind: frame.kind,
            open: frame.start,
            close: frame.start,
            entries: Vec::new(),
        });
        frame.node = Some(n);
        n
    }
}

impl Visitor for Planner {
    fn open(&mut self, kind: Kind, pos: usize) {
        self.frames.push(Frame {
            kind,
            start: pos,
            run_start: pos + 1,
            element_start: pos + 1,
            in_run: 0,
            after_child: false,
            key: (0, 0),
            node: None,
        });
    }

    fn key(&mut self, start: usize, end: usize) {
        if let Some(f) = self.frames.last_mut() {
            f.key = (start, end);
        }
    }

    fn scalar(&mut self, _: usize, _: usize) {}

    fn comma(&mut self, pos: usize) {
        let Some(f) = self.frames.last_mut() else {
            return;
        };
        f.element_start = pos + 1;
        if f.after_child {
            f.after_child = false;
            f.run_start = pos + 1;
            f.in_run = 0;
        } else if pos - f.run_start >= self.cut {
            let n = Self::node_of(&mut self.nodes, f);
            self.nodes[n as usize]
                .entries
                .push(Entry::Run(f.run_start, pos));
            f.run_start = pos + 1;
            f.in_run = 0;
        } else {
            f.in_run += 1;
        }
    }

    fn close(&mut self, pos: usize) {
        let Some(f) = self.frames.pop() else {
            return;
        };
        let Some(n) = f.node else {
            return; // fits: stays in the parent's run
        };
        let node = &mut self.nodes[n as usize];
        if !f.after_child {
            node.entries.push(Entry::Run(f.run_start, pos));
        }
        node.close = pos;
        let Some(parent) = self.frames.last_mut() else {
            self.root = Some(n);
            return;
        };
        let p = Self::node_of(&mut self.nodes, parent);
        let entries = &mut self.nodes[p as usize].entries;
        if parent.in_run > 0 {
            entries.push(Entry::Run(parent.run_start, parent.element_start - 1));
        }
        let key = (parent.kind == Kind::Object).then_some(parent.key);
        entries.push(Entry::Child(n, key));
        parent.after_child = true;
    }
}

fn push(ops: &mut Vec<f64>, op: Op, a: usize, b: usize) {
    // Offsets are exact in an f64 up to 2^53 bytes.
    #[allow(clippy::cast_precision_loss)]
    ops.extend_from_slice(&[f64::from(op as u8), a as f64, b as f64]);
}

/// Writes the split containers' entries in document order.
fn write(nodes: &[Node], root: u32) -> Plan {
    let mut plan = Plan::default();
    let mut stack: Vec<(u32, usize)> = vec![(root, 0)];
    let open = |ops: &mut Vec<f64>, node: &Node| {
        let op = if node.kind == Kind::Array {
            Op::Array
        } else {
            Op::Object
        };
        push(ops, op, node.open, node.open + 1);
    };
    open(&mut plan.ops, &nodes[root as usize]);
    loop {
        plan.split_depth = plan.split_depth.max(stack.len());
        let Some((n, next)) = stack.last_mut() else {
            break;
        };
        let node = &nodes[*n as usize];
        let Some(entry) = node.entries.get(*next) else {
            push(&mut plan.ops, Op::Close, node.close, node.close + 1);
            stack.pop();
            continue;
        };
        *next += 1;
        match *entry {
            Entry::Run(a, b) => {
                let op = if node.kind == Kind::Array {
                    Op::Items
                } else {
                    Op::Members
                };
                push(&mut plan.ops, op, a, b);
            }
            Entry::Child(c, key) => {
                if let Some((a, b)) = key {
                    push(&mut plan.ops, Op::Key, a, b);
                }
                open(&mut plan.ops, &nodes[c as usize]);
                stack.push((c, 0));
            }
        }
    }
    plan
}

/// Validates `bytes` and plans its parsing in slices of about `slice_bytes`. A document with no
/// container to split is one `Value` op.
pub fn plan(bytes: &[u8], slice_bytes: usize, task: Option<&TaskState>) -> Result<Plan, Stop> {
    let mut planner = Planner {
        cut: (slice_bytes / 2).max(1),
        frames: Vec::new(),
        nodes: Vec::new(),
        root: None,
    };
    scan(bytes, &mut planner, task)?;
    Ok(match planner.root {
        Some(root) => write(&planner.nodes, root),
        None => {
            let mut plan = Plan::default();
            push(&mut plan.ops, Op::Value, 0, bytes.len());
            plan
        }
    })
}

/// Rewrites the byte offsets of `plan` as UTF-16 offsets into the text `bytes` decodes to (for a
/// plan of a JavaScript string's UTF-8). Offsets in a plan never decrease, so one pass does it.
pub fn to_utf16(plan: &mut Plan, bytes: &[u8]) {
    let (mut at, mut units) = (0usize, 0usize);
    for triple in plan.ops.chunks_exact_mut(3) {
        for x in &mut triple[1..] {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let offset = (*x as usize).min(bytes.len());
            if offset >= at {
                units += super::scan::utf16_len(&bytes[at..offset]);
                at = offset;
            } else {
                // Not reached: offsets never decrease. Stay exact anyway.
                (at, units) = (offset, super::scan::utf16_len(&bytes[..offset]));
            }
            #[allow(clippy::cast_precision_loss)]
            {
                *x = units as f64;
            }
        }
    }
}
