//! The agent core's [`App`] on the real core: volatile memory, NSC calls, the NVIC.

use mv_agent_core::{App, IrqStatus, Stopped};

use crate::{attack, irq, privilege, timer};

/// The app as this image runs it.
pub struct TargetApp;

impl App for TargetApp {
    fn peek(&self, addr: u32, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: the core checked the range is in the app RAM pool,
            // where no Rust object of the agent lives; the secure world may
            // write it behind the compiler's back, hence volatile.
            *b = unsafe { core::ptr::read_volatile((addr as usize + i) as *const u8) };
        }
    }

    fn poke(&mut self, addr: u32, data: &[u8]) {
        for (i, &b) in data.iter().enumerate() {
            // SAFETY: as for `peek`: the app RAM pool, checked by the core.
            unsafe { core::ptr::write_volatile((addr as usize + i) as *mut u8, b) };
        }
    }

    /// Loads from wherever the host says. Memory the app may not read
    /// faults; the secure world takes the fault, reports the crash and
    /// restarts the app, so this never returns `Stopped`.
    fn load(&mut self, addr: u32, buf: &mut [u8]) -> Result<(), Stopped> {
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: a byte load has no effect on this program's memory; an
            // address the app may not read raises a fault that never
            // returns here.
            *b = unsafe { core::ptr::read_volatile((addr as usize + i) as *const u8) };
        }
        Ok(())
    }

    /// The real instructions; a refused attempt faults, and the secure
    /// world restarts the app, so this returns only if one completed.
    fn attack(&mut self, attack: mv_proto::Attack, addr: u32) -> Result<Option<u32>, Stopped> {
        Ok(Some(attack::run(attack, addr)))
    }

    fn call(&mut self, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        // SAFETY: the host chose the arguments on purpose and the kernel
        // checks every pointer against app memory. The host aims them at
        // memory it allocated (the pool, which the agent only touches with
        // volatile copies), never at the agent's own RAM below the pool,
        // which the kernel would write as readily as any other app RAM.
        Ok(unsafe { mv_ns::raw_call(slot, args) })
    }

    /// Spins until `us` microseconds of `mvGetMicroseconds` time have passed.
    fn delay_us(&mut self, us: u32) -> Result<(), Stopped> {
        let Ok(start) = mv_ns::get_microseconds() else {
            return Ok(());
        };
        while let Ok(now) = mv_ns::get_microseconds() {
            if now.wrapping_sub(start) >= u64::from(us) {
                break;
            }
        }
        Ok(())
    }

    fn irq_lines(&self) -> u32 {
        irq::line_count()
    }

    fn irq_enable(&mut self, n: u32, enabled: bool) {
        if enabled {
            irq::enable(n);
        } else {
            irq::disable(n);
        }
    }

    fn irq_clear_pending(&mut self, n: u32) {
        irq::clear_pending(n);
    }

    fn irq_pend(&mut self, n: u32) {
        irq::pend(n);
    }

    fn irq_flood(&mut self, n: u32, max_entries: u32) -> Result<u32, Stopped> {
        Ok(irq::flood(n, max_entries))
    }

    fn call_from_irq(
        &mut self,
        irq: u32,
        slot: u32,
        args: [u32; 4],
    ) -> Result<Option<u32>, Stopped> {
        Ok(irq::call_from_irq(irq, slot, args))
    }

    fn call_interrupted(
        &mut self,
        slot: u32,
        args: [u32; 4],
        interrupt: &mv_proto::TimerInterrupt,
    ) -> Result<Option<(u32, Option<mv_proto::IsrRecord>)>, Stopped> {
        Ok(timer::call_interrupted(slot, args, interrupt))
    }

    fn call_with_vtor(&mut self, vtor: u32, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        Ok(attack::call_with_vtor(vtor, slot, args))
    }

    fn call_unprivileged(&mut self, slot: u32, args: [u32; 4]) -> Result<u32, Stopped> {
        Ok(privilege::call_unprivileged(slot, args))
    }

    fn irq_status(&self, n: u32) -> IrqStatus {
        let (pending, enabled, handled) = irq::status(n);
        IrqStatus {
            pending,
            enabled,
            handled,
        }
    }

    /// The flash pool is RAM on QEMU that survives a reset: erase each
    /// allocation as it is handed out (cheaper than the whole pool at boot).
    fn erase_flash(&mut self, addr: u32, len: u32) {
        // SAFETY: the allocator handed out `addr..addr + len` inside the
        // `ns_flash` pool, above the agent image (asserted in memory.x),
        // which nothing of the agent references.
        unsafe { core::ptr::write_bytes(addr as usize as *mut u8, 0xFF, len as usize) };
    }
}
