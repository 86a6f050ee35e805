<?php
/**
 * Imports a WXR file into one test site the way WordPress's importer (the wordpress-importer
 * plugin) does, through WordPress's own functions, as an administrator:
 * - the file must carry wp:wxr_version, and a DOCTYPE is refused;
 * - authors by login, then categories (a parent must already exist), tags and other terms;
 * - posts and pages keep their ids (import_id) unless taken; one with the same title, date and
 *   type as an existing one is skipped; a parent not yet imported is linked at the end;
 * - terms and comments of a skipped post are still read; comments in file order, and on a post
 *   that already existed one with the same author and date as an existing comment is skipped; a
 *   parent is remapped only when it was inserted before (else its old id is kept, as the importer
 *   does: hence "parents first").
 * Input: $wparchive_wxr (a file path) set before this file is required. Prints JSON counts.
 */

if (!defined('ABSPATH')) {
	require __DIR__ . '/bootstrap.php';
	wparchive_load_wordpress();
}
require_once ABSPATH . 'wp-admin/includes/post.php';
require_once ABSPATH . 'wp-admin/includes/comment.php';
require_once ABSPATH . 'wp-admin/includes/taxonomy.php';

function wparchive_wxr_fail(string $why): void {
	fwrite(STDERR, "import refused: $why\n");
	exit(4);
}

/** The document, checked as the importer checks it. */
function wparchive_wxr_load(string $path): array {
	$dom = new DOMDocument();
	if (!$dom->loadXML(file_get_contents($path), LIBXML_NONET | LIBXML_PARSEHUGE)) {
		wparchive_wxr_fail('not well-formed XML');
	}
	if ($dom->doctype !== null) {
		wparchive_wxr_fail('the file has a DOCTYPE');
	}
	$xml = simplexml_import_dom($dom);
	$ns  = $xml->getDocNamespaces();
	if (!isset($ns['wp'])) {
		wparchive_wxr_fail('no wp namespace');
	}
	$channel = $xml->channel;
	$version = (string) $channel->children($ns['wp'])->wxr_version;
	if (!preg_match('/^\d+\.\d+$/', $version)) {
		wparchive_wxr_fail('no wp:wxr_version');
	}
	return array($channel, $ns);
}

/** login -> new user id, and old author id -> new user id. */
function wparchive_wxr_authors(SimpleXMLElement $channel, array $ns): array {
	$by_login = array();
	$by_old   = array();
	foreach ($channel->children($ns['wp'])->author as $author) {
		$login = (string) $author->author_login;
		$user  = get_user_by('login', $login);
		$id    = $user ? $user->ID : wp_insert_user(array(
			'user_login'   => $login,
			'user_pass'    => wp_generate_password(),
			'user_email'   => (string) $author->author_email,
			'display_name' => (string) $author->author_display_name,
			'first_name'   => (string) $author->author_first_name,
			'last_name'    => (string) $author->author_last_name,
			'role'         => 'author',
		));
		if (is_wp_error($id)) {
			wparchive_wxr_fail("author $login: " . $id->get_error_message());
		}
		$by_login[$login] = $id;
		$by_old[(int) $author->author_id] = $id;
	}
	return array($by_login, $by_old);
}

function wparchive_wxr_term(string $name, string $taxonomy, array $args): void {
	if (term_exists($args['slug'], $taxonomy)) {
		return;
	}
	$made = wp_insert_term($name, $taxonomy, $args);
	if (is_wp_error($made)) {
		wparchive_wxr_fail("term $taxonomy/{$args['slug']}: " . $made->get_error_message());
	}
}

function wparchive_wxr_terms(SimpleXMLElement $channel, array $ns): int {
	$wp    = $channel->children($ns['wp']);
	$count = 0;
	foreach ($wp->category as $c) {
		$parent = (string) $c->category_parent;
		$found  = $parent === '' ? null : term_exists($parent, 'category');
		wparchive_wxr_term((string) $c->cat_name, 'category', array(
			'slug'        => (string) $c->category_nicename,
			'parent'      => $found ? (int) $found['term_id'] : 0,
			'description' => (string) $c->category_description,
		));
		$count++;
	}
	foreach ($wp->tag as $t) {
		wparchive_wxr_term((string) $t->tag_name, 'post_tag', array(
			'slug' => (string) $t->tag_slug, 'description' => (string) $t->tag_description,
		));
		$count++;
	}
	foreach ($wp->term as $t) {
		if (taxonomy_exists((string) $t->term_taxonomy)) {
			wparchive_wxr_term((string) $t->term_name, (string) $t->term_taxonomy, array(
				'slug' => (string) $t->term_slug, 'description' => (string) $t->term_description,
			));
			$count++;
		}
	}
	return $count;
}

/** The item's <category> elements as taxonomy -> term ids (created when missing). */
function wparchive_wxr_item_terms(SimpleXMLElement $item): array {
	$terms = array();
	foreach ($item->category as $category) {
		$domain   = (string) $category['domain'];
		$taxonomy = $domain === 'tag' ? 'post_tag' : $domain;
		if (!taxonomy_exists($taxonomy)) {
			continue;
		}
		$slug = (string) $category['nicename'];
		wparchive_wxr_term((string) $category, $taxonomy, array('slug' => $slug));
		$terms[$taxonomy][] = (int) term_exists($slug, $taxonomy)['term_id'];
	}
	return $terms;
}

function wparchive_wxr_comments(SimpleXMLElement $wpi, int $post_id, bool $post_existed, array $authors_by_old): array {
	$inserted = array();
	$skipped  = 0;
	foreach ($wpi->comment as $c) {
		$author = (string) $c->comment_author;
		$date   = (string) $c->comment_date;
		if ($post_existed && comment_exists($author, $date)) {
			$skipped++;
			continue;
		}
		$parent  = (int) $c->comment_parent;
		$user_id = (int) $c->comment_user_id;
		$data    = array(
			'comment_post_ID'      => $post_id,
			'comment_author'       => $author,
			'comment_author_email' => (string) $c->comment_author_email,
			'comment_author_url'   => (string) $c->comment_author_url,
			'comment_author_IP'    => (string) $c->comment_author_IP,
			'comment_date'         => $date,
			'comment_date_gmt'     => (string) $c->comment_date_gmt,
			'comment_content'      => (string) $c->comment_content,
			'comment_approved'     => (string) $c->comment_approved,
			'comment_type'         => (string) $c->comment_type,
			'comment_parent'       => $inserted[$parent] ?? $parent,
			'comment_agent'        => '',
			'user_id'              => $authors_by_old[$user_id] ?? $user_id,
		);
		$inserted[(int) $c->comment_id] = wp_insert_comment(wp_filter_comment(wp_slash($data)));
	}
	return array(count($inserted), $skipped);
}

/** Inserts one item as a post (its id kept when free); returns the new id. */
function wparchive_wxr_post(SimpleXMLElement $item, array $ns, array $authors, array $imported): int {
	$wpi     = $item->children($ns['wp']);
	$old     = (int) $wpi->post_id;
	$creator = (string) $item->children($ns['dc'])->creator;
	$new     = wp_insert_post(wp_slash(array(
		'import_id'      => $old,
		'post_author'    => $authors[$creator] ?? get_current_user_id(),
		'post_date'      => (string) $wpi->post_date,
		'post_date_gmt'  => (string) $wpi->post_date_gmt,
		'post_content'   => (string) $item->children($ns['content'])->encoded,
		'post_excerpt'   => (string) $item->children($ns['excerpt'])->encoded,
		'post_title'     => (string) $item->title,
		'post_status'    => (string) $wpi->status,
		'post_name'      => (string) $wpi->post_name,
		'comment_status' => (string) $wpi->comment_status,
		'ping_status'    => (string) $wpi->ping_status,
		'guid'           => (string) $item->guid,
		'post_parent'    => $imported[(int) $wpi->post_parent] ?? 0,
		'menu_order'     => (int) $wpi->menu_order,
		'post_type'      => (string) $wpi->post_type,
		'post_password'  => (string) $wpi->post_password,
	)), true);
	if (is_wp_error($new)) {
		wparchive_wxr_fail("post $old: " . $new->get_error_message());
	}
	return $new;
}

function wparchive_wxr_import(string $path): array {
	list($channel, $ns)                 = wparchive_wxr_load($path);
	list($authors, $authors_by_old)     = wparchive_wxr_authors($channel, $ns);
	$counts   = array('terms' => wparchive_wxr_terms($channel, $ns), 'posts' => 0, 'skipped_posts' => 0,
		'comments' => 0, 'skipped_comments' => 0);
	$imported = array();  // old post id -> new
	$orphans  = array();  // old child id -> old parent id, linked at the end
	foreach ($channel->item as $item) {
		$wpi   = $item->children($ns['wp']);
		$old   = (int) $wpi->post_id;
		$type  = (string) $wpi->post_type;
		$title = (string) $item->title;
		$found = post_exists($title, '', (string) $wpi->post_date);
		$found = $found && get_post_type($found) === $type ? $found : 0;
		$new   = $found ?: wparchive_wxr_post($item, $ns, $authors, $imported);
		if ($found) {
			$counts['skipped_posts']++;
		} else {
			$counts['posts']++;
			$parent = (int) $wpi->post_parent;
			if ($parent && !isset($imported[$parent])) {
				$orphans[$old] = $parent;
			}
		}
		$imported[$old] = $new;
		if (!$found && (string) $wpi->is_sticky === '1') {
			stick_post($new);
		}
		foreach (wparchive_wxr_item_terms($item) as $taxonomy => $ids) {
			wp_set_post_terms($new, $ids, $taxonomy);
		}
		list($made, $skipped)        = wparchive_wxr_comments($wpi, $new, (bool) $found, $authors_by_old);
		$counts['comments']         += $made;
		$counts['skipped_comments'] += $skipped;
	}
	global $wpdb;
	foreach ($orphans as $child => $parent) {
		if (isset($imported[$parent])) {  // as the importer's backfill: straight to the table
			$wpdb->update($wpdb->posts, array('post_parent' => $imported[$parent]), array('ID' => $imported[$child]));
			clean_post_cache($imported[$child]);
		}
	}
	return $counts;
}

// The importer runs as an administrator: no kses on content, comments or terms.
wp_set_current_user(1);
add_filter('pre_http_request', function () {
	return new WP_Error('wparchive_blocked', 'no HTTP while importing');
});
wp_defer_term_counting(true);
wp_defer_comment_counting(true);
$wparchive_counts = wparchive_wxr_import($wparchive_wxr);
wp_defer_term_counting(false);
wp_defer_comment_counting(false);
echo json_encode($wparchive_counts), "\n";
