//! Cycles in the graphs a spec draws: modules through `depends_on`, value
//! objects through the fields that hold one another directly.

use std::collections::BTreeMap;

use crate::diag::Pos;

/// Tarjan's algorithm, iterative so deep graphs cannot overflow the stack.
fn strongly_connected(edges: &[Vec<(usize, Pos)>]) -> Vec<Vec<usize>> {
    let n = edges.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (node, ref mut next)) = work.last_mut() {
            if let Some(&(to, _)) = edges[node].get(*next) {
                *next += 1;
                if index[to] == usize::MAX {
                    index[to] = counter;
                    low[to] = counter;
                    counter += 1;
                    stack.push(to);
                    on_stack[to] = true;
                    work.push((to, 0));
                } else if on_stack[to] {
                    low[node] = low[node].min(index[to]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components.sort_by_key(|c| c.iter().min().copied());
    components
}

/// Breadth-first search inside a component for the shortest way back to
/// `start`; returns the chain (start repeated at the end) and where the
/// closing dependency was written.
fn shortest_cycle(
    edges: &[Vec<(usize, Pos)>],
    component: &[usize],
    start: usize,
) -> Option<(Vec<usize>, Pos)> {
    let mut previous: BTreeMap<usize, usize> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &(to, pos) in &edges[node] {
            if !component.contains(&to) {
                continue;
            }
            if to == start {
                let mut path = vec![node];
                let mut cursor = node;
                while cursor != start {
                    cursor = previous[&cursor];
                    path.push(cursor);
                }
                path.reverse();
                path.push(start);
                return Some((path, pos));
            }
            if to != start && !previous.contains_key(&to) {
                previous.insert(to, node);
                queue.push_back(to);
            }
        }
    }
    None
}

/// One cycle per strongly connected component of two or more nodes: the
/// shortest through its first node, with where its closing edge was
/// written. Self-loops are the caller's to report.
pub fn rings(edges: &[Vec<(usize, Pos)>]) -> Vec<(Vec<usize>, Pos)> {
    strongly_connected(edges)
        .into_iter()
        .filter(|component| component.len() >= 2)
        .filter_map(|component| {
            let start = *component.iter().min().expect("non-empty component");
            shortest_cycle(edges, &component, start)
        })
        .collect()
}
