<?php
/**
 * Changes between two crawls, made through WordPress's own functions (as an editor, a moderator
 * and WordPress's scheduler would), for the history tests. Loaded by code given to site.php();
 * each function returns the ids it touched. Ids are picked from the seeded content by WordPress's
 * own queries, so the tests follow the seed wherever it moves.
 */

/** Published posts with approved comments (the ones worth changing), oldest first. */
function wparchive_published_posts(): array {
	return get_posts(array('post_type' => 'post', 'post_status' => 'publish', 'numberposts' => -1,
		'orderby' => 'date', 'order' => 'ASC', 'has_password' => false, 'suppress_filters' => true));
}

/** An approved comment with approved replies, on a published post other than $avoid. */
function wparchive_comment_with_replies(array $avoid): WP_Comment {
	foreach (get_comments(array('status' => 'approve', 'type' => 'comment', 'orderby' => 'comment_ID', 'order' => 'ASC')) as $comment) {
		if (in_array((int) $comment->comment_post_ID, $avoid, true) || get_post_status($comment->comment_post_ID) !== 'publish') {
			continue;
		}
		$replies = get_comments(array('parent' => $comment->comment_ID, 'status' => 'approve', 'count' => true));
		if ($replies > 0) {
			return $comment;
		}
	}
	throw new RuntimeException('no comment with public replies in the seed');
}

/** The first phase: everything the issue lists except the restore (which needs a sweep first). */
function wparchive_mutate_first(): array {
	global $wpdb;
	kses_remove_filters();
	$posts = wparchive_published_posts();
	$old   = null;
	foreach ($posts as $post) {  // a post at least three years old, with comments, for late replies
		if (strtotime($post->post_date_gmt . ' UTC') < strtotime('-3 years') && get_comments_number($post) > 0) {
			$old = $post;
			break;
		}
	}
	$pick   = array_values(array_filter($posts, function ($post) use ($old) {
		return $post->ID !== $old->ID;
	}));
	$edited = array();
	foreach (array_slice($pick, 0, 3) as $post) {
		wp_update_post(array('ID' => $post->ID, 'post_content' => $post->post_content . "\n<p>Update: a correction, months later.</p>"));
		$edited[] = $post->ID;
	}
	$retitled = $pick[3]->ID;
	wp_update_post(array('ID' => $retitled, 'post_title' => $pick[3]->post_title . ' (revisited)'));
	$trashed = $pick[4]->ID;
	wp_trash_post($trashed);
	$private = $pick[5]->ID;
	wp_update_post(array('ID' => $private, 'post_status' => 'private'));
	$new = array();
	foreach (array('Fresh review: Past Lives', 'Fresh review: Aftersun') as $title) {
		$new[] = wp_insert_post(array('post_title' => $title, 'post_status' => 'publish', 'post_author' => $pick[0]->post_author,
			'post_content' => '<p>Rating: 9/10</p><p>Quietly devastating.</p>'), true);
	}
	$scheduled = wparchive_publish_scheduled();
	$top       = get_comments(array('post_id' => $old->ID, 'parent' => 0, 'status' => 'approve', 'number' => 1));
	$replies   = array();
	foreach (array('Coming back to this years later.', 'Same here, still true.') as $text) {
		$replies[] = wp_insert_comment(array('comment_post_ID' => $old->ID, 'comment_parent' => $top[0]->comment_ID,
			'comment_approved' => 1, 'comment_author' => 'Late Reader', 'comment_author_url' => 'https://late.example',
			'comment_content' => $text));
	}
	$approved   = wparchive_old_pending_comment();  // picked before another comment is held
	$unapproved = wparchive_comment_with_replies(array($trashed, $private));
	wp_set_comment_status($unapproved->comment_ID, 'hold');
	$avoid  = array($trashed, $private, (int) $unapproved->comment_post_ID);
	$edited_comment = wparchive_comment_with_replies($avoid);
	wp_update_comment(array('comment_ID' => $edited_comment->comment_ID, 'comment_content' => 'Edited: I changed my mind.'));
	wp_set_comment_status($approved, 'approve');
	return array('edited' => $edited, 'retitled' => $retitled, 'trashed' => $trashed, 'private' => $private, 'new' => $new,
		'scheduled' => $scheduled, 'old_post' => $old->ID, 'replies' => $replies, 'unapproved' => (int) $unapproved->comment_ID,
		'edited_comment' => (int) $edited_comment->comment_ID, 'approved' => $approved);
}

/**
 * A post scheduled long ago whose time has come: WordPress's cron runs check_and_publish_future_post(),
 * which publishes it with wp_publish_post() and leaves post_modified at the time it was scheduled.
 */
function wparchive_publish_scheduled(): int {
	global $wpdb;
	$future = get_posts(array('post_status' => 'future', 'numberposts' => 1, 'orderby' => 'ID', 'order' => 'ASC'));
	$id     = $future[0]->ID;
	$due    = time() - 3600;
	$wpdb->update($wpdb->posts, array('post_date' => get_date_from_gmt(gmdate('Y-m-d H:i:s', $due)),
		'post_date_gmt' => gmdate('Y-m-d H:i:s', $due), 'post_modified' => '2015-01-01 10:00:00',
		'post_modified_gmt' => '2015-01-01 09:00:00'), array('ID' => $id));
	clean_post_cache($id);
	check_and_publish_future_post($id);
	return $id;
}

/** The oldest pending comment on a published post: approved late, it keeps its old date. */
function wparchive_old_pending_comment(): int {
	foreach (get_comments(array('status' => 'hold', 'type' => 'comment', 'orderby' => 'comment_date_gmt', 'order' => 'ASC')) as $comment) {
		$post = get_post($comment->comment_post_ID);
		if ($post->post_status === 'publish' && $post->post_password === '' && (int) $comment->comment_parent === 0) {
			return (int) $comment->comment_ID;
		}
	}
	throw new RuntimeException('no pending comment in the seed');
}

/** The second phase: a trashed post restored to what it was (published). */
function wparchive_restore(int $id): array {
	add_filter('wp_untrash_post_status', 'wp_untrash_post_set_previous_status', 10, 3);
	wp_untrash_post($id);
	return array('restored' => $id, 'status' => get_post_status($id));
}
