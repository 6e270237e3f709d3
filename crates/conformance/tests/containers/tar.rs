//! Just enough of the tar format (POSIX ustar and GNU headers, GNU long names) for the
//! archives the engine API moves: the one testcontainers builds for copy-to (tokio-tar GNU
//! headers, paths relative to `/`) and the one the engine answers copy-from with.

const BLOCK: usize = 512;

fn text(field: &[u8]) -> String {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

fn octal(field: &[u8]) -> Result<usize, String> {
    let digits = text(field);
    let digits = digits.trim_matches(|c: char| c == ' ' || c == '\0');
    if digits.is_empty() {
        return Ok(0);
    }
    usize::from_str_radix(digits, 8).map_err(|err| format!("bad octal field `{digits}`: {err}"))
}

/// The regular files of `archive`: path and content.
pub(crate) fn read(archive: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    let mut pos = 0;
    let mut long_name: Option<String> = None;
    while pos + BLOCK <= archive.len() {
        let header = &archive[pos..pos + BLOCK];
        if header.iter().all(|b| *b == 0) {
            break;
        }
        let stored: usize = octal(&header[148..156])?;
        let sum: usize = header
            .iter()
            .enumerate()
            .map(|(i, b)| if (148..156).contains(&i) { 32 } else { usize::from(*b) })
            .sum();
        if stored != sum {
            return Err(format!("header checksum {stored} != {sum} at offset {pos}"));
        }
        let size = octal(&header[124..136])?;
        let start = pos + BLOCK;
        let end = start + size;
        let content = archive.get(start..end).ok_or("truncated entry")?;
        let name = match &header[257..263] {
            b"ustar\0" => {
                let prefix = text(&header[345..500]);
                let name = text(&header[..100]);
                if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}/{name}")
                }
            }
            _ => text(&header[..100]),
        };
        match header[156] {
            b'L' => long_name = Some(text(content)),
            b'0' | 0 | b'7' => files.push((long_name.take().unwrap_or(name), content.to_vec())),
            _ => long_name = None,
        }
        pos = start + size.div_ceil(BLOCK) * BLOCK;
    }
    Ok(files)
}

/// A ustar archive of one regular file `name` (mode 0644).
pub(crate) fn write(name: &str, content: &[u8]) -> Vec<u8> {
    let mut header = [0_u8; BLOCK];
    header[..name.len()].copy_from_slice(name.as_bytes());
    header[100..108].copy_from_slice(b"0000644\0");
    header[108..116].copy_from_slice(b"0000000\0");
    header[116..124].copy_from_slice(b"0000000\0");
    header[124..136].copy_from_slice(format!("{:011o}\0", content.len()).as_bytes());
    header[136..148].copy_from_slice(b"00000000000\0");
    header[156] = b'0';
    header[257..263].copy_from_slice(b"ustar\0");
    header[263..265].copy_from_slice(b"00");
    header[148..156].copy_from_slice(b"        ");
    let sum: u32 = header.iter().map(|b| u32::from(*b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut archive = header.to_vec();
    archive.extend_from_slice(content);
    archive.resize(BLOCK + content.len().div_ceil(BLOCK) * BLOCK + 2 * BLOCK, 0);
    archive
}

/// A self-check of [`write`] and [`read`].
pub(crate) fn round_trip() {
    let archive = write("admin.pat", b"pat-123\n");
    assert_eq!(archive.len() % BLOCK, 0);
    assert_eq!(
        read(&archive).unwrap(),
        [("admin.pat".to_owned(), b"pat-123\n".to_vec())]
    );
}
