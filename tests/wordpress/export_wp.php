<?php
/**
 * Prints WordPress core's own WXR export of one test site (WPARCHIVE_HOST=ip:port): export_wp()
 * from wp-admin/includes/export.php with content "all", exactly as Tools > Export downloads it.
 */

if (!defined('ABSPATH')) {
	require __DIR__ . '/bootstrap.php';
	wparchive_load_wordpress();
}
require_once ABSPATH . 'wp-admin/includes/export.php';
export_wp(array('content' => 'all'));
