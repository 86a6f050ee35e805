<?php
/**
 * Builds the seed content (users, terms, posts, pages, comments) with WordPress's own functions.
 * Deterministic: one mt_srand seed, fixed dates, fixed insertion order.
 */

require_once __DIR__ . '/seed_data.php';
require_once __DIR__ . '/seed_comments.php';

const WPARCHIVE_GENERIC_POSTS = 150;
// generic post index => approved comments (with the reply chain depth to add, 0 = none).
const WPARCHIVE_HEAVY_POSTS = array(12 => array(60, 7), 40 => array(52, 7), 77 => array(44, 0),
	101 => array(36, 6), 130 => array(30, 0), 145 => array(26, 0));

/** A size the site's settings may raise above the tests' own (the benchmark's large site). */
function wparchive_size(string $key, int $default): int {
	return (int) ($GLOBALS['wparchive_settings'][$key] ?? $default);
}

function wparchive_pick(array $items) {
	return $items[mt_rand(0, count($items) - 1)];
}

function wparchive_sentences(int $count, array $pool = WPARCHIVE_SENTENCES): string {
	$out = array();
	for ($i = 0; $i < $count; $i++) {
		$out[] = wparchive_pick($pool);
	}
	return implode(' ', $out);
}

/** A post body in one of several real-world shapes: autop text, classic HTML, block markup. */
function wparchive_body(int $i): string {
	$para = function () {
		return wparchive_sentences(mt_rand(2, 4));
	};
	$link = '<a href="https://example.org/films/' . $i . '">the festival page</a>';
	$img  = '<img class="aligncenter size-large wp-image-' . (1000 + $i) . '" src="/wp-content/uploads/' . (2015 + $i % 9)
		. '/0' . (1 + $i % 9) . '/still-' . $i . '.jpg" alt="A still from the film" width="800" height="450" />';
	switch ($i % 5) {
		case 0:
			return implode("\n\n", array($para(), $para() . ' See ' . $link . '.', $para()));
		case 1:
			return "<p>{$para()}</p>\n<ul>\n<li>Director&#8217;s cut: yes</li>\n<li>Runtime: 1h&nbsp;58m</li>\n<li>Seen at: cinema &amp; home</li>\n</ul>\n<p>{$para()} More on {$link}.</p>";
		case 2:
			return "<!-- wp:paragraph -->\n<p>{$para()}</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:image {\"id\":" . (1000 + $i) . "} -->\n<figure class=\"wp-block-image\">$img</figure>\n<!-- /wp:image -->\n\n"
				. "<!-- wp:quote -->\n<blockquote class=\"wp-block-quote\"><p>{$para()}</p><cite>A critic</cite></blockquote>\n<!-- /wp:quote -->\n\n"
				. "<!-- wp:list -->\n<ul><li>First</li><li>Second &amp; third</li></ul>\n<!-- /wp:list -->\n\n<!-- wp:paragraph -->\n<p>{$para()}</p>\n<!-- /wp:paragraph -->";
		case 3:
			return "<p>{$para()}</p>\n<!--more-->\n<h2>What works</h2>\n<p>$img</p>\n<blockquote><p>{$para()}</p></blockquote>\n<p>{$para()}</p>";
		default:
			$unsafe = $i % 10 === 4
				? "<script>document.write('tracking pixel ' + {$i});</script>"
				: '<p><a href="#" onclick="alert(1)">Click to reveal the twist</a></p>';
			return "<p>{$para()}</p>\n$unsafe\n<p>{$para()} &lt;3</p>\n<ol><li>{$para()}</li><li>Ends here.</li></ol>";
	}
}

function wparchive_seed_users(): array {
	$ids = array();
	foreach (WPARCHIVE_USERS as $user) {
		list($first, $last) = explode(' ', $user['name'], 2);
		$ids[$user['login']] = wp_insert_user(array(
			'user_login' => $user['login'], 'user_pass' => 'not-a-secret-' . $user['login'],
			'user_email' => $user['login'] . '@example.invalid', 'display_name' => $user['name'],
			'nickname' => $user['name'], 'first_name' => $first, 'last_name' => $last,
			'user_url' => $user['url'], 'role' => $user['role'],
		));
	}
	return $ids;
}

function wparchive_seed_terms(): array {
	$categories = array();
	foreach (WPARCHIVE_CATEGORIES as $name => $parent) {
		$term = wp_insert_term($name, 'category', array('parent' => $parent ? $categories[$parent] : 0));
		$categories[$name] = $term['term_id'];
	}
	foreach (WPARCHIVE_TAGS as $name) {
		wp_insert_term($name, 'post_tag');
	}
	foreach (array('post_tag' => WPARCHIVE_WIDE_TAGS, 'category' => WPARCHIVE_WIDE_CATEGORIES) as $taxonomy => $terms) {
		foreach ($terms as $name => $slug) {
			$term = wp_insert_term($name, $taxonomy, $slug ? array('slug' => $slug) : array());
			if ($taxonomy === 'category') {
				$categories[$name] = $term['term_id'];
			}
		}
	}
	return $categories;
}

/** Post specs for every post and page, in insertion order. */
function wparchive_post_specs(array $users, array $categories): array {
	$logins = array_keys($users);
	$cats   = array_values(array_diff_key($categories, WPARCHIVE_WIDE_CATEGORIES));
	$specs  = array();
	$base   = gmmktime(9, 0, 0, 1, 5, 2015);
	// A larger site spreads its posts over the same years (none may fall in the future).
	$generic = wparchive_size('generic_posts', WPARCHIVE_GENERIC_POSTS);
	for ($i = 0; $i < $generic; $i++) {
		$subject = WPARCHIVE_SUBJECTS[$i % count(WPARCHIVE_SUBJECTS)];
		$format  = WPARCHIVE_TITLE_FORMATS[intdiv($i, count(WPARCHIVE_SUBJECTS)) % 3];
		$tags    = array();
		for ($t = mt_rand(0, 4); $t > 0; $t--) {
			$tags[] = wparchive_pick(WPARCHIVE_TAGS);
		}
		$specs[] = array(
			'key' => "generic-$i", 'title' => $i === 149 ? 'Review: Ocean\'s Eleven' : sprintf($format, $subject),
			'content' => wparchive_body($i), 'author' => $users[$logins[$i % 4]],
			'date' => $base + intdiv($i * 1890000 * WPARCHIVE_GENERIC_POSTS, $generic) + mt_rand(0, 72000), 'cats' => array_unique(array($cats[$i % 8], wparchive_pick($cats))),
			'tags' => array_values(array_unique($tags)), 'excerpt' => $i % 3 === 0 ? wparchive_sentences(1) : '',
			'comments' => WPARCHIVE_HEAVY_POSTS[$i][0] ?? mt_rand(0, wparchive_size('max_comments', 12)), 'chain' => WPARCHIVE_HEAVY_POSTS[$i][1] ?? 0,
		);
	}
	$specs[] = array(
		'key' => 'her', 'title' => 'Her', 'content' => '<p>' . implode("</p>\n<p>", WPARCHIVE_HER_BODY) . '</p>',
		'author' => $users['jreeve'], 'date' => gmmktime(9, 30, 0, 3, 20, 2018), 'comments' => 0,
		'cats' => array($categories['Film Reviews']), 'tags' => array('drama', 'sci-fi', 'Spike Jonze', 'Joaquin Phoenix'),
		'excerpt' => '', 'rating' => array('value' => 10, 'scale' => 10, 'found_in' => 'text'),
	);
	$day = gmmktime(18, 0, 0, 2, 1, 2019);
	foreach (wparchive_rating_posts() as $n => list($title, $content, $rating)) {
		$specs[] = array('key' => "rating-$n", 'title' => $title, 'content' => $content, 'rating' => $rating,
			'date' => $day + $n * 3456000, 'author' => $users[$logins[$n % 4]], 'comments' => mt_rand(0, 6),
			'cats' => array($categories['Film Reviews']), 'tags' => array(wparchive_pick(WPARCHIVE_TAGS)), 'excerpt' => '');
	}
	foreach (wparchive_jsonld_posts() as $n => list($title, $jsonld, $rating)) {
		$specs[] = array('key' => "jsonld-$n", 'title' => $title, 'rating' => $rating, 'jsonld' => $jsonld,
			'content' => '<p>' . wparchive_sentences(3) . '</p>', 'date' => gmmktime(20, 0, 0, 6, 1 + 9 * $n, 2020),
			'author' => $users['mkowalski'], 'comments' => mt_rand(0, 6), 'tags' => array(),
			'cats' => array($categories['Film Reviews']), 'excerpt' => 'A review with structured data.');
	}
	foreach (WPARCHIVE_DECOYS as $n => list($title, $content)) {
		$specs[] = array('key' => "decoy-$n", 'title' => $title, 'content' => $content, 'rating' => 'none',
			'date' => gmmktime(12, 0, 0, 4 + $n, 10, 2016 + $n), 'author' => $users['tokafor'], 'comments' => mt_rand(0, 6),
			'cats' => array($categories['Essays']), 'tags' => array('long read'), 'excerpt' => '');
	}
	// Real sites' IDs follow dates only roughly: sort by date, then shuffle in blocks of ten.
	usort($specs, function ($a, $b) {
		return $a['date'] <=> $b['date'];
	});
	$blocks = array_chunk($specs, 10);
	$specs  = array();
	foreach ($blocks as $block) {
		for ($k = count($block) - 1; $k > 0; $k--) {
			$j = mt_rand(0, $k);
			list($block[$k], $block[$j]) = array($block[$j], $block[$k]);
		}
		$specs = array_merge($specs, $block);
	}
	$specs = wparchive_add_wide_terms($specs, $categories);
	return array_merge($specs, wparchive_hidden_post_specs($users, $categories), wparchive_late_post_specs($users, $categories));
}

/** Some posts also carry the terms whose slugs are not ASCII (no mt_rand: other posts stay as they were). */
function wparchive_add_wide_terms(array $specs, array $categories): array {
	foreach ($specs as $n => $spec) {
		if ($n % 9 === 4) {
			$specs[$n]['tags'] = array_merge($spec['tags'], array_keys(WPARCHIVE_WIDE_TAGS));
		}
		if ($n % 13 === 6) {
			$specs[$n]['cats'] = array_merge($spec['cats'], array_map(function ($name) use ($categories) {
				return $categories[$name];
			}, array_keys(WPARCHIVE_WIDE_CATEGORIES)));
		}
	}
	return $specs;
}

/** Posts added after the first seed (inserted last, so earlier ids stay): paged posts, the custom type. */
function wparchive_late_post_specs(array $users, array $categories): array {
	$specs = array();
	$wide  = array_map(function ($name) use ($categories) {
		return $categories[$name];
	}, array_keys(WPARCHIVE_WIDE_CATEGORIES));
	foreach (wparchive_paged_posts() as $n => list($title, $pages, $rating)) {
		// The block form: block themes print page links (wp_link_pages) only when the post has a
		// core/nextpage block; a bare <!--nextpage--> there leaves pages 2+ unlinked.
		$break   = "\n\n<!-- wp:nextpage -->\n<!--nextpage-->\n<!-- /wp:nextpage -->\n\n";
		$specs[] = array('key' => "paged-$n", 'title' => $title, 'content' => implode($break, $pages), 'rating' => $rating,
			'date' => gmmktime(19, 30, 0, 9, 3 + 7 * $n, 2021), 'author' => $users['lchen'], 'comments' => 3 + $n,
			'cats' => array_merge(array($categories['Essays']), $wide), 'tags' => array_merge(array('long read'), array_keys(WPARCHIVE_WIDE_TAGS)),
			'excerpt' => '', 'late' => true);
	}
	foreach (WPARCHIVE_SCREENINGS as $n => list($title, $content, $comments)) {
		$specs[] = array('key' => "screening-$n", 'type' => WPARCHIVE_CPT, 'title' => $title, 'content' => $content,
			'date' => gmmktime(21, 0, 0, 10, 1 + 14 * $n, 2021), 'author' => $users['mkowalski'], 'comments' => $comments,
			'excerpt' => '', 'late' => true);
	}
	return $specs;
}

/** Posts an anonymous visitor must never see, plus the password-protected one (listed, flagged). */
function wparchive_hidden_post_specs(array $users, array $categories): array {
	$specs = array();
	$kinds = array('draft' => 5, 'private' => 5, 'pending' => 3, 'future' => 2, 'trash' => 2);
	foreach ($kinds as $status => $count) {
		for ($n = 0; $n < $count; $n++) {
			$date    = $status === 'future' ? gmmktime(10, 0, 0, 1 + $n, 15, 2099) : gmmktime(10, 0, 0, 1 + $n, 20, 2023);
			$specs[] = array('key' => "$status-$n", 'title' => ucfirst($status) . " post $n: not for the public",
				'content' => '<p>' . wparchive_sentences(3) . '</p>', 'status' => $status, 'date' => $date,
				'author' => $users['lchen'], 'cats' => array($categories['Essays']), 'tags' => array(), 'excerpt' => '',
				'comments' => in_array($status, array('draft', 'private', 'trash'), true) && $n === 0 ? 3 : 0);
		}
	}
	$specs[] = array('key' => 'password', 'title' => 'Members only: festival screener notes',
		'content' => '<p>' . wparchive_sentences(4) . '</p>', 'password' => 'screener', 'date' => gmmktime(8, 0, 0, 11, 2, 2022),
		'author' => $users['jreeve'], 'cats' => array($categories['Film Reviews']), 'tags' => array('festival'),
		'excerpt' => '', 'comments' => 4);
	$parents = array();
	foreach (WPARCHIVE_PAGES as $n => list($title, $parent, $comments)) {
		$specs[] = array('key' => "page-$n", 'type' => 'page', 'title' => $title, 'parent_title' => $parent,
			'content' => '<p>' . wparchive_sentences(3) . '</p>', 'date' => gmmktime(7, 0, 0, 1, 1 + $n, 2015),
			'author' => $users['jreeve'], 'comments' => $comments, 'menu_order' => $n);
	}
	$specs[] = array('key' => 'page-draft', 'type' => 'page', 'title' => 'Upcoming: a page in progress', 'status' => 'draft',
		'content' => '<p>Not yet.</p>', 'date' => gmmktime(7, 0, 0, 2, 1, 2023), 'author' => $users['jreeve'], 'comments' => 0);
	$specs[] = array('key' => 'page-private', 'type' => 'page', 'title' => 'Private page: editors', 'status' => 'private',
		'content' => '<p>Editors only.</p>', 'date' => gmmktime(7, 0, 0, 2, 2, 2023), 'author' => $users['jreeve'], 'comments' => 0);
	return $specs;
}

/**
 * Posts made in the editor start as auto-drafts, so their guid is HOME/?p=ID (?page_id=ID for pages);
 * posts created published (imports, API clients) keep their first permalink. Mostly the former.
 */
function wparchive_set_guid(int $id, int $n): void {
	global $wpdb;
	if ($n % 7 === 3) {
		return;
	}
	$query = get_post_type($id) === 'page' ? 'page_id' : 'p';
	$wpdb->update($wpdb->posts, array('guid' => home_url("/?$query=$id")), array('ID' => $id));
	clean_post_cache($id);
}

function wparchive_insert_posts(array $specs): array {
	$ids = array();
	foreach ($specs as $spec) {
		$status = $spec['status'] ?? 'publish';
		$id     = wp_insert_post(array(
			'post_type' => $spec['type'] ?? 'post', 'post_title' => $spec['title'], 'post_content' => $spec['content'],
			'post_excerpt' => $spec['excerpt'] ?? '', 'post_author' => $spec['author'],
			'post_status' => $status === 'trash' ? 'publish' : $status,
			'post_date_gmt' => gmdate('Y-m-d H:i:s', $spec['date']), 'post_password' => $spec['password'] ?? '',
			'post_category' => $spec['cats'] ?? array(), 'tags_input' => $spec['tags'] ?? array(),
			'post_parent' => isset($spec['parent_title']) && $spec['parent_title'] ? $ids['title:' . $spec['parent_title']] : 0,
			'menu_order' => $spec['menu_order'] ?? 0, 'comment_status' => 'open', 'ping_status' => 'open',
		), true);
		if (is_wp_error($id)) {
			fwrite(STDERR, 'wp_insert_post failed: ' . $id->get_error_message() . "\n");
			exit(4);
		}
		if (isset($spec['rating'])) {
			update_post_meta($id, '_wparchive_expected_rating', wp_slash(wp_json_encode($spec['rating'])));
		}
		if (isset($spec['jsonld'])) {
			update_post_meta($id, '_wparchive_jsonld', wp_slash(wp_json_encode($spec['jsonld'])));
		}
		wparchive_set_guid($id, count($ids));
		$ids[$spec['key']]              = $id;
		$ids['title:' . $spec['title']] = $id;
	}
	return $ids;
}
