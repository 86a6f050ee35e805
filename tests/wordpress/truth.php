<?php
/**
 * Prints, as JSON, what WordPress itself says an anonymous visitor can see on one test site
 * (WPARCHIVE_HOST=ip:port). Everything comes from WordPress's APIs and database, never from
 * wparchive's code. Keys: site, settings, users, terms, posts, comments, hidden_post_ids,
 * hidden_comment_ids, orphan_comment_ids. Posts carry their rendered text (every `<!--nextpage-->` page,
 * through `the_content`, joined) and their terms with slugs; comments their rendered text.
 */

require __DIR__ . '/bootstrap.php';
wparchive_load_wordpress();

function wparchive_gmt(string $mysql_date): ?string {
	return $mysql_date === '0000-00-00 00:00:00' ? null : str_replace(' ', 'T', $mysql_date) . '+00:00';
}

function wparchive_term_names(int $post_id, string $taxonomy): array {
	$terms = get_the_terms($post_id, $taxonomy);
	return is_array($terms) ? array_values(array_map(function ($term) {
		return html_entity_decode($term->name, ENT_QUOTES | ENT_HTML5, 'UTF-8');
	}, $terms)) : array();
}

/** (taxonomy, name, slug) of every term of a post, in the taxonomies REST shows for its type. */
function wparchive_post_terms(int $post_id): array {
	$out = array();
	foreach (array('category', 'post_tag') as $taxonomy) {
		$terms = get_the_terms($post_id, $taxonomy);
		foreach (is_array($terms) ? $terms : array() as $term) {
			$out[] = array('taxonomy' => $taxonomy, 'slug' => $term->slug,
				'name' => html_entity_decode($term->name, ENT_QUOTES | ENT_HTML5, 'UTF-8'));
		}
	}
	return $out;
}

/** Visible text of HTML as WordPress rendered it: scripts and styles dropped, entities decoded. */
function wparchive_text(string $html): string {
	return trim(html_entity_decode(wp_strip_all_tags($html), ENT_QUOTES | ENT_HTML5, 'UTF-8'));
}

/** The post's body as a visitor reads it across all its pages (empty behind a password). */
function wparchive_rendered_pages(WP_Post $post): array {
	global $pages;
	if ($post->post_password !== '') {
		return array();
	}
	$GLOBALS['post'] = $post;
	setup_postdata($post);
	$out = array();
	foreach ($pages as $page) {
		$out[] = apply_filters('the_content', $page);
	}
	wp_reset_postdata();
	return $out;
}

function wparchive_post_truth(WP_Post $post): array {
	// The title as REST shows it: texturized, no "Protected: " prefix; as text, not HTML.
	add_filter('protected_title_format', 'wparchive_bare_title_format');
	$title = html_entity_decode(get_the_title($post), ENT_QUOTES | ENT_HTML5, 'UTF-8');
	remove_filter('protected_title_format', 'wparchive_bare_title_format');
	$rating = get_post_meta($post->ID, '_wparchive_expected_rating', true);
	$pages  = wparchive_rendered_pages($post);
	return array(
		'page_count' => count($pages), 'content_text' => wparchive_text(implode("\n", $pages)),
		'terms' => wparchive_post_terms($post->ID),
		'id' => $post->ID, 'type' => $post->post_type, 'status' => $post->post_status, 'title' => $title,
		'title_raw' => $post->post_title, 'slug' => $post->post_name, 'link' => get_permalink($post),
		'date_gmt' => wparchive_gmt($post->post_date_gmt), 'modified_gmt' => wparchive_gmt($post->post_modified_gmt),
		'author' => (int) $post->post_author, 'author_name' => get_the_author_meta('display_name', $post->post_author),
		'parent' => $post->post_parent, 'content_raw' => $post->post_content, 'excerpt_raw' => $post->post_excerpt,
		'password_protected' => $post->post_password !== '', 'sticky' => is_sticky($post->ID),
		'categories' => wparchive_term_names($post->ID, 'category'), 'tags' => wparchive_term_names($post->ID, 'post_tag'),
		'expected_rating' => $rating === '' ? null : json_decode($rating, true),
		'jsonld' => get_post_meta($post->ID, '_wparchive_jsonld', true) !== '',
	);
}

function wparchive_bare_title_format(): string {
	return '%s';
}

function wparchive_comment_truth(WP_Comment $comment, array $depths): array {
	return array(
		'id' => (int) $comment->comment_ID, 'post' => (int) $comment->comment_post_ID,
		'parent' => (int) $comment->comment_parent, 'depth' => $depths[(int) $comment->comment_ID],
		'author_name' => $comment->comment_author, 'author_url' => $comment->comment_author_url,
		'user_id' => (int) $comment->user_id, 'date_gmt' => wparchive_gmt($comment->comment_date_gmt),
		'content_raw' => $comment->comment_content, 'type' => $comment->comment_type,
		'content_text' => wparchive_text(apply_filters('comment_text', get_comment_text($comment), $comment, array())),
	);
}

/** True depth of every comment (1 = top level), following parents whatever their status. */
function wparchive_depths(array $all): array {
	$parents = array();
	foreach ($all as $comment) {
		$parents[(int) $comment->comment_ID] = (int) $comment->comment_parent;
	}
	$depths = array();
	foreach ($parents as $id => $parent) {
		for ($depth = 1, $at = $parent; $at && isset($parents[$at]) && $depth < 100; $at = $parents[$at]) {
			$depth++;
		}
		$depths[$id] = $depth;
	}
	return $depths;
}

const WPARCHIVE_TRUTH_TYPES = array('post', 'page', 'wpa_screening');
$wparchive_all_posts = get_posts(array('post_type' => WPARCHIVE_TRUTH_TYPES, 'post_status' => 'any,trash,auto-draft',
	'numberposts' => -1, 'orderby' => 'ID', 'order' => 'ASC', 'suppress_filters' => true));
$wparchive_posts = $wparchive_hidden_posts = $wparchive_readable = array();
foreach ($wparchive_all_posts as $wparchive_post) {
	if (is_post_publicly_viewable($wparchive_post)) {
		$wparchive_posts[] = wparchive_post_truth($wparchive_post);
		if ($wparchive_post->post_password === '') {
			$wparchive_readable[$wparchive_post->ID] = true;
		}
	} else {
		$wparchive_hidden_posts[] = $wparchive_post->ID;
	}
}

$wparchive_all_comments = get_comments(array('status' => 'all', 'type' => 'all', 'orderby' => 'comment_ID', 'order' => 'ASC'));
$wparchive_all_comments = array_merge($wparchive_all_comments, get_comments(array('status' => array('spam', 'trash', 'post-trashed'),
	'type' => 'all', 'orderby' => 'comment_ID', 'order' => 'ASC')));
$wparchive_depths   = wparchive_depths($wparchive_all_comments);
$wparchive_comments = $wparchive_hidden_comments = $wparchive_visible_ids = array();
foreach ($wparchive_all_comments as $wparchive_comment) {
	$visible = $wparchive_comment->comment_approved === '1' && $wparchive_comment->comment_type === 'comment'
		&& isset($wparchive_readable[(int) $wparchive_comment->comment_post_ID]);
	if ($visible) {
		$wparchive_comments[]                                   = wparchive_comment_truth($wparchive_comment, $wparchive_depths);
		$wparchive_visible_ids[(int) $wparchive_comment->comment_ID] = true;
	} else {
		$wparchive_hidden_comments[] = (int) $wparchive_comment->comment_ID;
	}
}
usort($wparchive_comments, function ($a, $b) {
	return $a['id'] <=> $b['id'];
});
sort($wparchive_hidden_comments);
$wparchive_orphans = array();
foreach ($wparchive_comments as $wparchive_comment) {
	if ($wparchive_comment['parent'] && !isset($wparchive_visible_ids[$wparchive_comment['parent']])) {
		$wparchive_orphans[] = $wparchive_comment['id'];
	}
}

$wparchive_settings = array();
foreach (array('thread_comments', 'thread_comments_depth', 'comments_per_page', 'page_comments', 'posts_per_rss',
	'posts_per_page', 'rss_use_excerpt', 'timezone_string') as $wparchive_name) {
	$wparchive_value                     = get_option($wparchive_name);
	$wparchive_settings[$wparchive_name] = is_numeric($wparchive_value) ? (int) $wparchive_value : $wparchive_value;
}
$wparchive_settings['default_comments_page'] = get_option('default_comments_page');
$wparchive_settings['permalink_structure']   = get_option('permalink_structure');
$wparchive_settings['theme']                 = get_stylesheet();
$wparchive_settings['rest_closed']           = defined('WPARCHIVE_REST_CLOSED') && WPARCHIVE_REST_CLOSED;

$wparchive_users = array();
foreach (get_users(array('has_published_posts' => WPARCHIVE_TRUTH_TYPES, 'orderby' => 'ID')) as $wparchive_user) {
	$wparchive_users[] = array('id' => $wparchive_user->ID, 'name' => $wparchive_user->display_name,
		'slug' => $wparchive_user->user_nicename, 'url' => $wparchive_user->user_url);
}
$wparchive_terms = array();
foreach (array('category', 'post_tag') as $wparchive_taxonomy) {
	foreach (get_terms(array('taxonomy' => $wparchive_taxonomy, 'hide_empty' => false, 'orderby' => 'term_id')) as $wparchive_term) {
		$wparchive_terms[] = array('id' => $wparchive_term->term_id, 'taxonomy' => $wparchive_taxonomy,
			'name' => html_entity_decode($wparchive_term->name, ENT_QUOTES | ENT_HTML5, 'UTF-8'),
			'slug' => $wparchive_term->slug, 'parent' => $wparchive_term->parent);
	}
}

echo wp_json_encode(array(
	'site' => array('home' => home_url(), 'name' => get_bloginfo('name'), 'description' => get_bloginfo('description'),
		'rest_root' => get_rest_url()),
	'settings' => $wparchive_settings,
	'users' => $wparchive_users,
	'terms' => $wparchive_terms,
	'posts' => $wparchive_posts,
	'comments' => $wparchive_comments,
	'hidden_post_ids' => $wparchive_hidden_posts,
	'hidden_comment_ids' => $wparchive_hidden_comments,
	'orphan_comment_ids' => $wparchive_orphans,
), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
