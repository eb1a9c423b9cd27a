//! Code addresses to function names, from an image's ELF symbol table (crash reports).

use object::{Object, ObjectSymbol, SymbolKind};

/// The function symbols of one ELF, sorted by address.
pub struct Symbols {
    functions: Vec<(u64, u64, String)>,
}

impl Symbols {
    /// Reads the function symbols (`None` if `elf` is not an ELF).
    pub fn of(elf: &[u8]) -> Option<Symbols> {
        let file = object::File::parse(elf).ok()?;
        let mut functions: Vec<(u64, u64, String)> = file
            .symbols()
            .filter(|s| s.kind() == SymbolKind::Text && s.size() > 0)
            .filter_map(|s| {
                let name = s.name().ok()?;
                // Thumb function symbols have bit 0 set.
                Some((s.address() & !1, s.size(), demangle(name)))
            })
            .collect();
        functions.sort();
        Some(Symbols { functions })
    }

    /// `function+0xoffset` for a code address, if one contains it.
    pub fn describe(&self, addr: u32) -> Option<String> {
        let addr = u64::from(addr & !1);
        let i = self
            .functions
            .partition_point(|f| f.0 <= addr)
            .checked_sub(1)?;
        let (start, size, name) = &self.functions[i];
        (addr < start + size).then(|| format!("{name}+{:#x}", addr - start))
    }
}

/// Rust symbol names (legacy or v0 mangling) as paths, without the hash.
fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn mangled_names_become_paths() {
        assert_eq!(
            demangle("_ZN8mv_agent4exec4read17h0123456789abcdefE"),
            "mv_agent::exec::read"
        );
        assert_eq!(demangle("main"), "main");
    }
}
