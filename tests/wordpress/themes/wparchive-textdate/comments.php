<?php
/** The approved comments, threaded by WordPress's own walker (its HTML5 markup). */
if (post_password_required()) {
	return;
}
?>
<div id="comments" class="comments-area">
<?php if (have_comments()) : ?>
	<ol class="comment-list"><?php wp_list_comments(array('style' => 'ol', 'short_ping' => true)); ?></ol>
	<?php the_comments_pagination(); ?>
<?php endif; ?>
</div>
