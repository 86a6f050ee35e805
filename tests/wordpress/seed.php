<?php
/**
 * Seeds one wparchive test site through WordPress's own functions.
 *
 * Environment: WPARCHIVE_HOST (ip, no port: guids stay stable across runs), WPARCHIVE_SEED_STATE
 * (version string; an existing database carrying the same state and an unchanged content
 * fingerprint is reused), WPARCHIVE_SETTINGS (JSON: db_name, blogname, theme, options).
 * Prints one JSON line: {"reused": bool, "seconds": float, "counts": {...}}.
 *
 * Content is deterministic (mt_srand) and the same on every site, so archives made from
 * different sources of different sites can be compared.
 */

require __DIR__ . '/bootstrap.php';
require __DIR__ . '/seed_content.php';

const WPARCHIVE_FINGERPRINT_OPTIONS = array(
	'template', 'stylesheet', 'permalink_structure', 'page_comments', 'comments_per_page',
	'default_comments_page', 'thread_comments', 'thread_comments_depth', 'posts_per_rss',
	'rss_use_excerpt', 'blogname', 'timezone_string', 'sticky_posts', 'show_on_front',
);

/** A cheap digest of the content an archive sees, so a site mutated by a test is reseeded. */
function wparchive_fingerprint(mysqli $db, string $name): string {
	$queries = array(
		"SELECT COUNT(*), COALESCE(MAX(ID),0), COALESCE(SUM(CRC32(CONCAT_WS('|', ID, post_status,
		 post_title, post_content, post_excerpt, post_modified_gmt, post_password, post_parent))),0)
		 FROM `$name`.wp_posts WHERE post_type IN ('post','page','wpa_screening')",
		"SELECT COUNT(*), COALESCE(MAX(comment_ID),0), COALESCE(SUM(CRC32(CONCAT_WS('|', comment_ID,
		 comment_approved, comment_parent, comment_post_ID, comment_content, comment_type,
		 comment_author, comment_author_url))),0) FROM `$name`.wp_comments",
		"SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT_WS('|', object_id, term_taxonomy_id))),0)
		 FROM `$name`.wp_term_relationships",
		"SELECT option_name, option_value FROM `$name`.wp_options WHERE option_name IN ('"
		. implode("','", WPARCHIVE_FINGERPRINT_OPTIONS) . "') ORDER BY option_name",
	);
	$parts = array();
	foreach ($queries as $sql) {
		$result = $db->query($sql);
		if (!$result) {
			return 'unreadable';
		}
		foreach ($result->fetch_all() as $row) {
			$parts[] = implode('|', $row);
		}
	}
	return md5(implode("\n", $parts));
}

/** Returns true when the database already holds this seed state; otherwise (re)creates it empty. */
function wparchive_prepare_database(string $name, string $state): bool {
	mysqli_report(MYSQLI_REPORT_OFF);
	$db = new mysqli('127.0.0.1', 'root', '', '', 3306);
	if ($db->connect_errno) {
		fwrite(STDERR, 'cannot connect to MariaDB: ' . $db->connect_error . "\n");
		exit(3);
	}
	$db->set_charset('utf8mb4');
	$result = $db->query("SELECT option_value FROM `$name`.wp_options WHERE option_name = 'wparchive_seed_state'");
	$row    = $result ? $result->fetch_row() : null;
	if ($row && $row[0] === $state . ':' . wparchive_fingerprint($db, $name)) {
		return true;
	}
	$db->query("DROP DATABASE IF EXISTS `$name`");
	$db->query("CREATE DATABASE `$name` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci");
	return false;
}

/** No mail from the installer (pluggable: defined before wp-admin/includes/upgrade.php). */
function wp_new_blog_notification($blog_title, $blog_url, $user_id, $password) {
}

function wparchive_install(array $settings): void {
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';
	wp_install($settings['blogname'], 'admin', 'admin@example.invalid', true, '', 'not-a-secret-admin');
	wp_installing(false);
	// The installer's sample post, page, privacy page and comment would only blur the counts.
	foreach (get_posts(array('post_type' => 'any', 'post_status' => 'any', 'numberposts' => -1)) as $post) {
		wp_delete_post($post->ID, true);
	}
	foreach (get_comments(array('status' => 'all')) as $comment) {
		wp_delete_comment($comment->comment_ID, true);
	}
	foreach ($settings['options'] as $name => $value) {
		update_option($name, $value);
	}
	update_option('blogname', $settings['blogname']);
	switch_theme($settings['theme']);
	delete_option('rewrite_rules');
}

$wparchive_started = microtime(true);
$wparchive_settings = json_decode(wparchive_env('WPARCHIVE_SETTINGS'), true);
$wparchive_state    = wparchive_env('WPARCHIVE_SEED_STATE');
if (wparchive_prepare_database($wparchive_settings['db_name'], $wparchive_state)) {
	echo json_encode(array('reused' => true, 'seconds' => round(microtime(true) - $wparchive_started, 2))), "\n";
	exit(0);
}

define('WP_INSTALLING', true);
wparchive_load_wordpress();
// WordPress must never call out, not even to probe its own permalinks.
add_filter('pre_http_request', function () {
	return new WP_Error('wparchive_blocked', 'HTTP disabled while seeding');
});
wparchive_install($wparchive_settings);
// One transaction: thousands of autocommits would each wait for a disk flush.
$GLOBALS['wpdb']->query('START TRANSACTION');
$wparchive_counts = $wparchive_settings['content'] ? wparchive_seed_content() : array();
$GLOBALS['wpdb']->query('COMMIT');

global $wpdb;
$wparchive_db = new mysqli('127.0.0.1', 'root', '', '', 3306);
$wparchive_db->set_charset('utf8mb4');
wp_cache_flush();
update_option(
	'wparchive_seed_state',
	$wparchive_state . ':' . wparchive_fingerprint($wparchive_db, $wparchive_settings['db_name'])
);
echo json_encode(array(
	'reused'  => false,
	'seconds' => round(microtime(true) - $wparchive_started, 2),
	'counts'  => $wparchive_counts,
)), "\n";
