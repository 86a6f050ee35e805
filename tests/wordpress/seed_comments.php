<?php
/**
 * Plans and inserts the seed comments: the "Her" thread, random threads (depth <= 5, some chains to 7),
 * and the non-public ones (pending, spam, trash, pingbacks, orphans). Inserted in date order so
 * comment IDs grow with time, as on a real site.
 */

const WPARCHIVE_DAY = 86400;

/** A comment plan entry; `parent` is the key of another plan entry (or null). */
function wparchive_plan(string $post_key, array $author, int $date, string $content, array $extra = array()): array {
	return array_merge(array('post' => $post_key, 'parent' => null, 'author' => $author, 'date' => $date,
		'content' => $content, 'approved' => '1', 'type' => 'comment', 'depth' => 1), $extra);
}

/** A random author: mostly anonymous readers, sometimes a logged-in user, often the post's author on replies. */
function wparchive_comment_author(array $post_author, bool $reply): array {
	$roll = mt_rand(1, 100);
	if ($reply && $roll <= 25) {
		return $post_author;
	}
	if ($roll >= 93) {
		return wparchive_pick($GLOBALS['wparchive_user_authors']);
	}
	list($name, $url) = wparchive_pick(WPARCHIVE_READERS);
	$email            = strtolower(preg_replace('/[^A-Za-z0-9]+/', '.', html_entity_decode($name))) . '@example.invalid';
	return array('name' => html_entity_decode($name, ENT_QUOTES, 'UTF-8'), 'url' => $url, 'email' => $email, 'user_id' => 0);
}

function wparchive_comment_text(): string {
	$paragraphs = array();
	for ($n = mt_rand(1, 3); $n > 0; $n--) {
		$paragraphs[] = wparchive_sentences(mt_rand(1, 3), WPARCHIVE_COMMENT_SENTENCES);
	}
	return implode("\n\n", $paragraphs);
}

/** Random threads on one post; replies only below depth 5, then an optional deeper chain. */
function wparchive_plan_thread(array &$plans, string $post_key, array $post, int $count, int $chain): void {
	$time  = $post['date'] + mt_rand(600, WPARCHIVE_DAY);
	$nodes = array();
	for ($n = 0; $n < $count; $n++) {
		$time     += mt_rand(300, 2 * WPARCHIVE_DAY);
		$open      = array_keys(array_filter($nodes, function ($depth) {
			return $depth < 5;
		}));
		$parent    = (!$open || mt_rand(1, 100) <= 40) ? null : wparchive_pick($open);
		$depth     = $parent === null ? 1 : $nodes[$parent] + 1;
		$key       = "$post_key#" . count($plans);
		$plans[$key] = wparchive_plan($post_key, wparchive_comment_author($post['author_info'], $parent !== null),
			$time, wparchive_comment_text(), array('parent' => $parent, 'depth' => $depth));
		$nodes[$key] = $depth;
	}
	$parent = null;
	for ($depth = 1; $depth <= $chain; $depth++) {
		$time       += mt_rand(600, WPARCHIVE_DAY);
		$key         = "$post_key#chain$depth";
		$plans[$key] = wparchive_plan($post_key, wparchive_comment_author($post['author_info'], $depth > 1), $time,
			"Reply at depth $depth. " . wparchive_comment_text(), array('parent' => $parent, 'depth' => $depth));
		$parent      = $key;
	}
}

function wparchive_plan_her(array &$plans, array $post): void {
	$reader            = array('name' => 'Manja Mexi', 'url' => 'https://manjameximovie3.wordpress.com',
		'email' => 'manja.mexi@example.invalid', 'user_id' => 0);
	$plans['her#reader'] = wparchive_plan('her', $reader, gmmktime(14, 2, 11, 3, 29, 2018),
		implode("\n\n", WPARCHIVE_HER_READER_COMMENT));
	$plans['her#reply1'] = wparchive_plan('her', $post['author_info'], gmmktime(18, 40, 5, 3, 29, 2018),
		WPARCHIVE_HER_REPLIES[0], array('parent' => 'her#reader', 'depth' => 2));
	$plans['her#reply2'] = wparchive_plan('her', $post['author_info'], gmmktime(8, 12, 45, 3, 30, 2018),
		WPARCHIVE_HER_REPLIES[1], array('parent' => 'her#reader', 'depth' => 2));
}

/** Comments no anonymous reader may see, and approved replies to them (orphans). */
function wparchive_plan_hidden(array &$plans, array $posts): void {
	$public = array_values(array_filter(array_keys($posts), function ($key) {
		return strpos($key, 'generic-') === 0;
	}));
	$spammer = array('name' => 'Cheap Watches Online', 'url' => 'https://spam.example/watches', 'email' => 'spam@example.invalid', 'user_id' => 0);
	$statuses = array_merge(array_fill(0, 20, '0'), array_fill(0, 20, 'spam'), array_fill(0, 5, 'trash'));
	foreach ($statuses as $n => $status) {
		$key          = $public[($n * 7) % count($public)];
		$post         = $posts[$key];
		$author       = $status === 'spam' ? $spammer : wparchive_comment_author($post['author_info'], false);
		$content      = $status === 'spam' ? 'Great post! Visit <a href="https://spam.example/watches">cheap watches</a> now.' : wparchive_comment_text();
		$plans["hidden#$n"] = wparchive_plan($key, $author, $post['date'] + WPARCHIVE_DAY * (3 + $n % 5), $content,
			array('approved' => $status === 'trash' ? '1' : $status, 'trash' => $status === 'trash'));
	}
	// Orphans: approved replies whose parent is pending (0, 1), spam (20, 21) or trashed (40).
	foreach (array(0, 1, 20, 21, 40) as $n) {
		$parent                   = $plans["hidden#$n"];
		$plans["orphan#$n"] = wparchive_plan($parent['post'], wparchive_comment_author($posts[$parent['post']]['author_info'], true),
			$parent['date'] + 3600, 'Replying to a comment you may not see. ' . wparchive_comment_text(),
			array('parent' => "hidden#$n", 'depth' => 2));
	}
	for ($n = 0; $n < 5; $n++) {
		$key                  = $public[($n * 11 + 3) % count($public)];
		$plans["pingback#$n"] = wparchive_plan($key, array('name' => "Another Film Blog &raquo; Links of the week $n",
			'url' => "https://otherblog.example/links-$n/", 'email' => '', 'user_id' => 0),
			$posts[$key]['date'] + WPARCHIVE_DAY * 2, '[&#8230;] a fine review over here [&#8230;]', array('type' => 'pingback'));
	}
	$plans['script#0'] = wparchive_plan($public[5], wparchive_comment_author($posts[$public[5]]['author_info'], false),
		$posts[$public[5]]['date'] + WPARCHIVE_DAY * 9, "Nice!\n\n<script>alert('comment xss')</script><em>Really</em> nice.");
}

function wparchive_insert_comments(array $plans, array $post_ids): array {
	uasort($plans, function ($a, $b) {
		return $a['date'] <=> $b['date'];
	});
	$ids = array();
	foreach ($plans as $key => $plan) {
		$gmt       = gmdate('Y-m-d H:i:s', $plan['date']);
		$ids[$key] = wp_insert_comment(array(
			'comment_post_ID' => $post_ids[$plan['post']], 'comment_parent' => $plan['parent'] ? $ids[$plan['parent']] : 0,
			'comment_author' => $plan['author']['name'], 'comment_author_email' => $plan['author']['email'],
			'comment_author_url' => $plan['author']['url'], 'user_id' => $plan['author']['user_id'],
			'comment_date_gmt' => $gmt, 'comment_date' => get_date_from_gmt($gmt), 'comment_content' => $plan['content'],
			'comment_approved' => $plan['approved'], 'comment_type' => $plan['type'],
			'comment_author_IP' => '127.0.0.1', 'comment_agent' => 'wparchive-seed',
		));
		if (!$ids[$key]) {
			fwrite(STDERR, "wp_insert_comment failed for $key\n");
			exit(5);
		}
	}
	foreach ($plans as $key => $plan) {
		if (!empty($plan['trash'])) {
			wp_trash_comment($ids[$key]);
		}
	}
	return $ids;
}

/** Seeds everything; returns counts for the report. */
function wparchive_seed_content(): array {
	mt_srand(20180329);
	kses_remove_filters();
	wp_defer_term_counting(true);
	wp_defer_comment_counting(true);
	$users      = wparchive_seed_users();
	$categories = wparchive_seed_terms();
	$GLOBALS['wparchive_user_authors'] = array_map(function ($login) use ($users) {
		return wparchive_user_author($users[$login]);
	}, array_keys($users));
	$specs    = wparchive_post_specs($users, $categories);
	$post_ids = wparchive_insert_posts($specs);
	$posts    = array();
	foreach ($specs as $spec) {
		$spec['author_info'] = wparchive_user_author($spec['author']);
		$posts[$spec['key']] = $spec;
	}
	$plans = array();
	wparchive_plan_her($plans, $posts['her']);
	foreach ($posts as $key => $post) {
		if ($post['comments'] > 0 || !empty($post['chain'])) {
			wparchive_plan_thread($plans, $key, $post, $post['comments'], $post['chain'] ?? 0);
		}
	}
	wparchive_plan_hidden($plans, $posts);
	wparchive_insert_comments($plans, $post_ids);
	wparchive_finish_posts($posts, $post_ids);
	wp_defer_term_counting(false);
	wp_defer_comment_counting(false);
	return array('posts' => count($specs), 'comments' => count($plans));
}

function wparchive_user_author(int $user_id): array {
	$user = get_userdata($user_id);
	return array('name' => $user->display_name, 'url' => $user->user_url, 'email' => $user->user_email, 'user_id' => $user_id);
}

/** Trash what must be trashed, make one post sticky, and give some posts a later modified date. */
function wparchive_finish_posts(array $posts, array $post_ids): void {
	global $wpdb;
	foreach ($posts as $key => $post) {
		if (($post['status'] ?? '') === 'trash') {
			wp_trash_post($post_ids[$key]);
		}
	}
	stick_post($post_ids['generic-148']);
	for ($i = 3; $i < WPARCHIVE_GENERIC_POSTS; $i += 13) {
		$modified = gmdate('Y-m-d H:i:s', $posts["generic-$i"]['date'] + WPARCHIVE_DAY * (10 + $i));
		$wpdb->update($wpdb->posts, array('post_modified_gmt' => $modified, 'post_modified' => get_date_from_gmt($modified)),
			array('ID' => $post_ids["generic-$i"]));
		clean_post_cache($post_ids["generic-$i"]);
	}
}
