<?php
/**
 * Every view: the loop, each post with its title, its date as text only, its terms and its body;
 * on a single post its comments. Nothing machine-readable about dates anywhere.
 */
?><!DOCTYPE html>
<html <?php language_attributes(); ?>>
<head>
<meta charset="<?php bloginfo('charset'); ?>">
<?php wp_head(); ?>
</head>
<body <?php body_class(); ?>>
<header><a href="<?php echo esc_url(home_url('/')); ?>"><?php bloginfo('name'); ?></a></header>
<main>
<?php while (have_posts()) : the_post(); ?>
	<article id="post-<?php the_ID(); ?>" <?php post_class(); ?>>
		<h2 class="entry-title"><a href="<?php the_permalink(); ?>"><?php the_title(); ?></a></h2>
		<div class="post-meta"><span class="post-date"><span class="meta-text"><?php echo esc_html(get_the_date()); ?></span></span>
			<span class="byline"><?php the_author_posts_link(); ?></span></div>
		<div class="entry-content"><?php the_content(); ?><?php wp_link_pages(); ?></div>
		<footer class="entry-footer"><?php the_category(', '); ?> <?php the_tags('', ', '); ?></footer>
	</article>
	<?php if (is_singular()) { comments_template(); } ?>
<?php endwhile; ?>
<?php the_posts_pagination(); ?>
</main>
<?php wp_footer(); ?>
</body>
</html>
