//! Table tests for grouping directories into pages and levels, without any bytes.

use super::ifd::Directory;
use super::pages::{group, halves};
use super::walk::MainIfd;
use super::LevelLoad;

fn dir(width: u32, height: u32, subfile_type: u32) -> Directory {
    Directory {
        offset: 0,
        width,
        height,
        tile: Some((256, 256)),
        rows_per_strip: None,
        compression: 7,
        photometric: 6,
        samples_per_pixel: 3,
        bits_per_sample: 8,
        planar_config: 1,
        subfile_type,
        sub_ifds: Vec::new(),
        next: 0,
        stored: Default::default(),
        orientation: Default::default(),
    }
}

fn main(width: u32, height: u32, kind: u32) -> MainIfd {
    MainIfd {
        dir: dir(width, height, kind),
        subs: Vec::new(),
    }
}

/// Pages as lists of level widths.
fn shape(mains: &[MainIfd]) -> Vec<Vec<u32>> {
    group(mains)
        .iter()
        .map(|p| p.levels.iter().map(|l| l.width).collect())
        .collect()
}

/// A named chain and the page shapes it must group into.
type Case = (&'static str, Vec<MainIfd>, Vec<Vec<u32>>);

#[test]
fn main_chain_grouping() {
    let cases: Vec<Case> = vec![
        ("one directory", vec![main(100, 80, 0)], vec![vec![100]]),
        (
            "tiffsave --pyramid",
            vec![main(4000, 3000, 0), main(2000, 1500, 1), main(1000, 750, 1)],
            vec![vec![4000, 2000, 1000]],
        ),
        (
            "multi-page, page bit",
            vec![main(100, 80, 2), main(100, 80, 2)],
            vec![vec![100], vec![100]],
        ),
        (
            "two marked pyramids",
            vec![
                main(800, 600, 0),
                main(400, 300, 1),
                main(90, 60, 0),
                main(45, 30, 1),
                main(22, 15, 1),
            ],
            vec![vec![800, 400], vec![90, 45, 22]],
        ),
        (
            "mask skipped",
            vec![
                main(800, 600, 0),
                main(800, 600, 4),
                main(400, 300, 1),
                main(400, 300, 5),
            ],
            vec![vec![800, 400]],
        ),
        (
            "orphan reduced first",
            vec![main(400, 300, 1), main(800, 600, 0)],
            vec![vec![400], vec![800]],
        ),
        (
            "unmarked halving, floor",
            vec![
                main(3001, 2001, 0),
                main(1500, 1000, 0),
                main(750, 500, 0),
                main(375, 250, 0),
                main(187, 125, 0),
            ],
            vec![vec![3001, 1500, 750, 375, 187]],
        ),
        (
            "unmarked halving, ceil",
            vec![main(1001, 751, 0), main(501, 376, 0), main(251, 188, 0)],
            vec![vec![1001, 501, 251]],
        ),
        (
            "unmarked down to a pixel",
            vec![main(6, 4, 0), main(3, 2, 0), main(1, 1, 0)],
            vec![vec![6, 3, 1]],
        ),
        (
            "unmarked same size",
            vec![main(100, 80, 0), main(100, 80, 0)],
            vec![vec![100], vec![100]],
        ),
        (
            "unmarked aspect changes",
            vec![main(1000, 800, 0), main(500, 200, 0)],
            vec![vec![1000], vec![500]],
        ),
        (
            "unmarked, third breaks it",
            vec![main(1000, 800, 0), main(500, 400, 0), main(400, 300, 0)],
            vec![vec![1000], vec![500], vec![400]],
        ),
        (
            "unmarked, grows",
            vec![main(500, 400, 0), main(1000, 800, 0)],
            vec![vec![500], vec![1000]],
        ),
    ];
    for (name, mains, want) in cases {
        assert_eq!(shape(&mains), want, "{name}");
    }
}

#[test]
fn main_chain_loads_count_every_directory() {
    let mains = [
        main(800, 600, 0),
        main(800, 600, 4),
        main(400, 300, 1),
        main(90, 60, 2),
        main(45, 30, 1),
    ];
    let pages = group(&mains);
    let loads: Vec<Vec<LevelLoad>> = pages
        .iter()
        .map(|p| p.levels.iter().map(|l| l.load).collect())
        .collect();
    assert_eq!(
        loads,
        [
            vec![LevelLoad::Page(0), LevelLoad::Page(2)],
            vec![LevelLoad::Page(3), LevelLoad::Page(4)]
        ]
    );
}

#[test]
fn subifds_are_sorted_filtered_and_keep_their_index() {
    let mut page = main(1000, 800, 0);
    page.subs = vec![
        dir(250, 200, 1),
        dir(2000, 1600, 1),
        dir(500, 400, 1),
        dir(500, 400, 4),
        dir(1000, 800, 1),
    ];
    let pages = group(&[page]);
    let levels: Vec<(u32, LevelLoad)> = pages[0].levels.iter().map(|l| (l.width, l.load)).collect();
    assert_eq!(
        levels,
        [
            (1000, LevelLoad::Page(0)),
            (500, LevelLoad::SubIfd { page: 0, index: 2 }),
            (250, LevelLoad::SubIfd { page: 0, index: 0 }),
        ],
        "larger and same-size SubIFDs dropped, masks skipped, the rest largest first"
    );
}

#[test]
fn halving_rule() {
    let cases = [
        ((3000, 2000), (1500, 1000), true),
        ((3000, 2000), (1501, 1001), true),
        ((3000, 2000), (1400, 933), false),
        ((40000, 30000), (20400, 15300), true),
        ((40000, 30000), (20400, 14700), false),
        ((100, 100), (50, 30), false),
        ((3, 2), (1, 1), true),
        ((100, 80), (100, 80), false),
    ];
    for ((pw, ph), (nw, nh), want) in cases {
        assert_eq!(
            halves(&dir(pw, ph, 0), &dir(nw, nh, 0)),
            want,
            "{pw}x{ph} -> {nw}x{nh}"
        );
    }
}
