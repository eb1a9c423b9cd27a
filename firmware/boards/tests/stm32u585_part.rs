//! The STM32U585 part's flash plan: the secure image, the OTA areas and the NSC table tile bank 2 without overlap.

use mv_boards::stm32u585::{
    ota_pages, FLASH_BANK_PAGES, FLASH_PAGE_SIZE, NSC_TABLE_BASE, NS_FLASH_BASE, NS_FLASH_SIZE,
    PART, SECURE_FLASH_BASE, SECURE_IMAGE_BASE, SECURE_IMAGE_SIZE,
};

fn page_of(secure_addr: u32) -> u32 {
    (secure_addr - SECURE_FLASH_BASE) / FLASH_PAGE_SIZE
}

#[test]
fn bank_2_holds_image_staging_manifest_journal_and_nsc_in_order() {
    assert_eq!(
        page_of(SECURE_IMAGE_BASE),
        FLASH_BANK_PAGES,
        "image at bank 2's start"
    );
    assert_eq!(
        page_of(SECURE_IMAGE_BASE + SECURE_IMAGE_SIZE),
        ota_pages::STAGING_FIRST,
        "staging right after the image"
    );
    assert_eq!(
        ota_pages::STAGING_FIRST + ota_pages::STAGING_PAGES,
        ota_pages::MANIFEST
    );
    assert_eq!(
        ota_pages::JOURNAL,
        [ota_pages::MANIFEST + 1, ota_pages::MANIFEST + 2]
    );
    assert_eq!(
        ota_pages::JOURNAL[1] + 1,
        ota_pages::NSC,
        "the NSC page is last"
    );
    assert_eq!(ota_pages::NSC, 2 * FLASH_BANK_PAGES - 1);
    assert_eq!(page_of(NSC_TABLE_BASE), ota_pages::NSC);
    assert_eq!(NSC_TABLE_BASE % FLASH_PAGE_SIZE, 0);
}

#[test]
fn the_app_region_is_bank_1_the_apps_rom() {
    assert_eq!(ota_pages::APP_FIRST, 0);
    assert_eq!(ota_pages::APP_PAGES * FLASH_PAGE_SIZE, NS_FLASH_SIZE);
    const { assert!(ota_pages::STAGING_PAGES > 0) };
    let (pool, end) = PART.pools.ns_flash;
    assert!(pool > NS_FLASH_BASE && end == NS_FLASH_BASE + NS_FLASH_SIZE);
}
