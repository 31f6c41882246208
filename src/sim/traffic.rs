//! Deterministic synthetic city traffic, for the demo, benchmarks, soak tests and analysts.
//!
//! A city of cameras on a grid around a centre; a population of vehicles in which a share of
//! commuters pass the same cameras on most weekdays, morning and evening, and a long tail of
//! plates seen once or twice; traffic shaped by rush hours (peaks around 08:00 and 17:30) and
//! quieter weekends. Everything derives from the seed, so the same arguments give the same
//! reads, byte for byte, on every machine. Images, when asked for, are synthetic bytes of the
//! chosen size that begin like a JPEG.
//!
//! Reads are produced in capture-time order, spread over `days` days ending at `end`.

use crate::model::epoch::{Span, Timestamp};
use crate::model::record::NewRead;

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Total reads.
    pub reads: u64,
    /// Days of traffic.
    pub days: u32,
    /// The instant the traffic ends (exclusive); it starts `days` days earlier.
    pub end: Timestamp,
    /// Seed of every random choice.
    pub seed: u64,
    /// Bytes of synthetic image per read (0 for none).
    pub image_bytes: usize,
    /// Cameras in the city.
    pub cameras: u32,
    /// Share of reads made by commuters (regular vehicles), 0 to 1.
    pub commuter_share: f64,
}

impl SimConfig {
    /// A city of 120 cameras where 40 % of reads are commuters.
    pub fn new(reads: u64, days: u32, end: Timestamp, seed: u64) -> Self {
        SimConfig {
            reads,
            days: days.max(1),
            end,
            seed,
            image_bytes: 0,
            cameras: 120,
            commuter_share: 0.4,
        }
    }

    /// Sets the synthetic image size.
    pub fn image_bytes(mut self, bytes: usize) -> Self {
        self.image_bytes = bytes;
        self
    }

    /// The instant the traffic starts.
    pub fn start(&self) -> Timestamp {
        self.end.minus(Span::from_days(u64::from(self.days)))
    }

    /// How many commuter vehicles the city has: enough that each is read about six times a
    /// working day (two trips past three cameras).
    pub fn commuters(&self) -> u64 {
        let per_day = self.reads as f64 * self.commuter_share / f64::from(self.days);
        ((per_day / 6.0) as u64).clamp(8, 2_000_000)
    }
}

/// SplitMix64: small, fast, and the same everywhere. Not for secrets.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut r = Rng(seed ^ a.wrapping_mul(0xA24B_AED4_963E_E407) ^ b.rotate_left(29));
    r.next()
}

const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
const REGIONS: [(&str, u32); 4] = [("CO", 88), ("US-NM", 5), ("WY", 4), ("UT", 3)];

/// The plate and region of a vehicle: `ABC1234`-style, most from CO.
fn vehicle(seed: u64, class: u64, index: u64) -> (String, String) {
    let mut r = Rng(mix(seed, class, index));
    let mut plate = String::with_capacity(7);
    for _ in 0..3 {
        plate.push(LETTERS[r.below(LETTERS.len() as u64) as usize] as char);
    }
    for _ in 0..4 {
        plate.push((b'0' + r.below(10) as u8) as char);
    }
    let roll = r.below(100) as u32;
    let mut acc = 0;
    let mut region = "CO";
    for (name, share) in REGIONS {
        acc += share;
        if roll < acc {
            region = name;
            break;
        }
    }
    (plate, region.to_string())
}

/// Relative traffic at an hour of the day: two rush-hour peaks over a night-time floor.
fn hour_weight(hour: u32) -> f64 {
    let h = f64::from(hour) + 0.5;
    let peak = |centre: f64, width: f64| (-((h - centre) / width).powi(2)).exp();
    0.15 + 1.6 * peak(8.0, 1.4) + 1.4 * peak(17.5, 1.8) + 0.5 * peak(13.0, 3.0)
}

/// The simulated city: iterate its reads with [`Simulation::reads`].
#[derive(Clone, Debug)]
pub struct Simulation {
    config: SimConfig,
    /// Cumulative weights of the `days * 24` hours.
    hours: Vec<f64>,
    cameras: Vec<(String, f64, f64)>,
}

impl Simulation {
    /// Builds the city for a configuration.
    pub fn new(config: SimConfig) -> Self {
        let mut hours = Vec::with_capacity(config.days as usize * 24);
        let mut total = 0.0;
        let start_day = config.start().unix_secs().div_euclid(86_400);
        for d in 0..i64::from(config.days) {
            // 1970-01-01 was a Thursday, so (day + 3) mod 7 counts from Monday = 0.
            let weekday = (start_day + d + 3).rem_euclid(7);
            let weekend = weekday >= 5;
            for h in 0..24 {
                total += hour_weight(h) * if weekend { 0.6 } else { 1.0 };
                hours.push(total);
            }
        }
        let mut cameras = Vec::with_capacity(config.cameras as usize);
        let side = (f64::from(config.cameras)).sqrt().ceil() as u32;
        for i in 0..config.cameras {
            let (x, y) = (i % side, i / side);
            let lat = 39.70 + f64::from(y) * 0.006;
            let lon = -105.02 + f64::from(x) * 0.008;
            cameras.push((format!("CAM-{:03}", i + 1), lat, lon));
        }
        Simulation {
            config,
            hours,
            cameras,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// Plates (with region) of the city's most regular commuters: good plates to search for.
    pub fn sample_commuters(&self, n: usize) -> Vec<(String, String)> {
        (0..n as u64)
            .map(|i| vehicle(self.config.seed, 1, i))
            .collect()
    }

    /// Every read, in capture-time order.
    pub fn reads(&self) -> impl Iterator<Item = NewRead> + '_ {
        let total = self.config.reads;
        let day_hours = self.hours.len() as u64;
        let weight_total = self.hours.last().copied().unwrap_or(1.0);
        let start = self.config.start();
        let mut hour = 0usize;
        let mut rng = Rng(mix(self.config.seed, 7, 7));
        let commuters = self.config.commuters();
        (0..total).map(move |i| {
            // The i-th read falls where the cumulative hour weight passes its share of the day.
            let target = (i as f64 + 0.5) / total as f64 * weight_total;
            while hour + 1 < day_hours as usize && self.hours[hour] < target {
                hour += 1;
            }
            let prev = if hour == 0 { 0.0 } else { self.hours[hour - 1] };
            let within =
                ((target - prev) / (self.hours[hour] - prev).max(1e-12)).clamp(0.0, 0.999_999);
            let micros = (hour as f64 + within) * 3_600_000_000.0;
            let captured_at = Timestamp::from_micros(start.as_micros() + micros as i64);
            let (plate, region, camera) = if rng.unit() < self.config.commuter_share {
                // Commuters: a mildly skewed choice (the first ones travel a little more), and
                // each has a home stretch of a few cameras.
                let c = (rng.unit().powf(1.3) * commuters as f64) as u64;
                let (p, r) = vehicle(self.config.seed, 1, c);
                let home = mix(self.config.seed, 2, c) % u64::from(self.config.cameras);
                let cam = (home + rng.below(4)) % u64::from(self.config.cameras);
                (p, r, cam)
            } else {
                let v = rng.next() % (total * 4).max(1_000);
                let (p, r) = vehicle(self.config.seed, 3, v);
                (p, r, rng.below(u64::from(self.config.cameras)))
            };
            let (cam_id, lat, lon) = &self.cameras[camera as usize];
            let image = (self.config.image_bytes > 0)
                .then(|| synthetic_image(&mut rng, self.config.image_bytes));
            NewRead {
                plate,
                region,
                captured_at: Some(captured_at),
                camera: cam_id.clone(),
                lat: Some(lat + (rng.unit() - 0.5) * 0.0004),
                lon: Some(lon + (rng.unit() - 0.5) * 0.0004),
                confidence: Some(0.80 + 0.2 * rng.unit() as f32),
                image,
            }
        })
    }
}

/// Bytes that start like a JPEG (SOI, APP0 "JFIF") and end like one (EOI).
fn synthetic_image(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut img = Vec::with_capacity(size);
    img.extend_from_slice(&[
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ]);
    while img.len() + 8 <= size {
        img.extend_from_slice(&rng.next().to_le_bytes());
    }
    while img.len() < size {
        img.push(rng.next() as u8);
    }
    if size >= 2 {
        img[size - 2] = 0xFF;
        img[size - 1] = 0xD9;
    }
    img.truncate(size);
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end() -> Timestamp {
        Timestamp::parse_rfc3339("2026-11-01T00:00:00Z").expect("time")
    }

    #[test]
    fn the_same_seed_gives_the_same_reads() {
        let a: Vec<NewRead> = Simulation::new(SimConfig::new(500, 3, end(), 42))
            .reads()
            .collect();
        let b: Vec<NewRead> = Simulation::new(SimConfig::new(500, 3, end(), 42))
            .reads()
            .collect();
        let c: Vec<NewRead> = Simulation::new(SimConfig::new(500, 3, end(), 43))
            .reads()
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.len(), 500);
    }

    #[test]
    fn reads_are_ordered_inside_the_window_and_shaped_by_rush_hours() {
        let cfg = SimConfig::new(20_000, 7, end(), 1);
        let sim = Simulation::new(cfg.clone());
        let reads: Vec<NewRead> = sim.reads().collect();
        let times: Vec<Timestamp> = reads.iter().filter_map(|r| r.captured_at).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times[0] >= cfg.start() && *times.last().expect("some") < cfg.end);
        let hour = |t: &Timestamp| (t.unix_secs().rem_euclid(86_400) / 3_600) as usize;
        let mut per_hour = [0u32; 24];
        for t in &times {
            per_hour[hour(t)] += 1;
        }
        assert!(
            per_hour[8] > 3 * per_hour[3],
            "morning rush over night: {per_hour:?}"
        );
        assert!(
            per_hour[17] > 3 * per_hour[3],
            "evening rush over night: {per_hour:?}"
        );
    }

    #[test]
    fn commuters_repeat_and_the_tail_is_long() {
        let sim = Simulation::new(SimConfig::new(20_000, 7, end(), 9));
        let mut counts = std::collections::HashMap::new();
        for r in sim.reads() {
            *counts.entry((r.plate, r.region)).or_insert(0u32) += 1;
        }
        let top = sim.sample_commuters(1)[0].clone();
        assert!(
            counts.get(&top).copied().unwrap_or(0) >= 5,
            "the top commuter repeats"
        );
        let once = counts.values().filter(|&&c| c == 1).count();
        assert!(once * 2 > counts.len(), "most plates are seen once");
        for (plate, _) in counts.keys().take(50) {
            assert!(crate::model::plate::Plate::parse(plate).is_ok());
        }
    }

    #[test]
    fn images_have_the_chosen_size_and_look_like_jpeg() {
        let sim = Simulation::new(SimConfig::new(10, 1, end(), 3).image_bytes(8192));
        for r in sim.reads() {
            let img = r.image.expect("image");
            assert_eq!(img.len(), 8192);
            assert_eq!(&img[..2], &[0xFF, 0xD8]);
            assert_eq!(&img[8190..], &[0xFF, 0xD9]);
        }
    }
}
